// Starts the real `bin/hoard serve` on a temporary vault for the client and
// end-to-end tests (make test builds bin/hoard first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../../..');
export const hoard = join(root, 'bin', 'hoard');
export const shared = process.env.HOARD_SHARED ?? resolve(root, '..', 'shared');
export const required = process.env.HOARD_REQUIRE_SHARED === '1';

/** Whether the files a test needs exist; throws when they must (CI). */
export function have(...paths: string[]): boolean {
  const missing = [hoard, ...paths].filter((p) => !existsSync(p));
  if (missing.length && required) throw new Error(`missing ${missing.join(', ')} (make build; ../shared)`);
  return missing.length === 0;
}

export interface Served {
  base: string; // http://127.0.0.1:PORT
  token: string;
  vault: string;
  stop(): Promise<void>;
}

export async function serve(token = 'ui-test-token', extra: string[] = [], vault?: string): Promise<Served> {
  const dir = vault ?? mkdtempSync(join(tmpdir(), 'hoard-ui-'));
  const proc: ChildProcess = spawn(hoard, ['--vault', dir, '--models', join(dir, 'models'), 'serve', '--addr', '127.0.0.1:0', '--token', token, '--llm', 'none', ...extra]);
  const base = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (b) => {
      out += b;
      const m = out.match(/open:\s+(http:\/\/[\d.]+:\d+)\//);
      if (m) ok(m[1]);
    });
    proc.stderr!.on('data', (b) => (out += b));
    proc.on('exit', (code) => fail(new Error(`hoard serve exited (${code}): ${out}`)));
  });
  return {
    base,
    token,
    vault: dir,
    stop: async () => {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      if (!vault) rmSync(dir, { recursive: true, force: true });
    },
  };
}
