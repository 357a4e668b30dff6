// The API client against the real thing: `bin/hoard serve` on a temporary
// vault (make test builds it first), with a real PDF from ../shared.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, Client, parseSSE } from './api';

describe('parseSSE', () => {
  const stream = 'event: delta\ndata: {"text":"Hel"}\n\n: keep-alive\n\nevent: delta\r\ndata: {"text":"lo"}\r\n\r\nevent: answer\ndata: {"answer":"Hello"}\n\n';
  it('reads events however the text is cut', () => {
    for (let cut = 1; cut < stream.length; cut += 7) {
      const a = parseSSE(stream.slice(0, cut));
      const b = parseSSE(a.rest + stream.slice(cut));
      const events = [...a.events, ...b.events];
      expect(events.map((e) => e.event)).toEqual(['delta', 'delta', 'answer']);
      expect(events.map((e) => JSON.parse(e.data))).toEqual([{ text: 'Hel' }, { text: 'lo' }, { answer: 'Hello' }]);
      expect(b.rest).toBe('');
    }
  });
  it('joins multi-line data and keeps an unfinished event for later', () => {
    const r = parseSSE('data: a\ndata: b\n\nevent: delta\ndata: {"te');
    expect(r.events).toEqual([{ event: 'message', data: 'a\nb' }]);
    expect(r.rest).toBe('event: delta\ndata: {"te');
  });
});

const root = resolve(__dirname, '../../..');
const hoard = join(root, 'bin', 'hoard');
const shared = process.env.HOARD_SHARED ?? resolve(root, '..', 'shared');
const memo = join(shared, 'samples/docs/unstructured/fake-memo.pdf');
const required = process.env.HOARD_REQUIRE_SHARED === '1';
const ready = existsSync(hoard) && existsSync(memo);
if (!ready && required) {
  throw new Error(`need ${hoard} (make build) and ${memo} (../shared)`);
}

describe.skipIf(!ready)('Client against hoard serve', () => {
  let proc: ChildProcess;
  let vault: string;
  let client: Client;
  const token = 'ui-test-token';

  beforeAll(async () => {
    vault = mkdtempSync(join(tmpdir(), 'hoard-ui-'));
    proc = spawn(hoard, ['--vault', vault, '--models', join(vault, 'models'), 'serve', '--addr', '127.0.0.1:0', '--token', token, '--llm', 'none']);
    const base = await new Promise<string>((ok, fail) => {
      let out = '';
      proc.stdout!.on('data', (b) => {
        out += b;
        const m = out.match(/open:\s+(http:\/\/[\d.]+:\d+)\//);
        if (m) ok(m[1]);
      });
      proc.on('exit', (code) => fail(new Error(`hoard serve exited (${code}): ${out}`)));
    });
    client = new Client(base, token);
  });

  afterAll(() => {
    proc?.kill();
    if (vault) rmSync(vault, { recursive: true, force: true });
  });

  it('starts empty', async () => {
    const st = await client.status();
    expect(st.documents).toBe(0);
    expect((await client.documents()).total).toBe(0);
    expect(await client.search('anything')).toEqual([]);
  });

  it('uploads, lists, searches, reads, answers and deletes', async () => {
    const file = new File([readFileSync(memo)], 'fake-memo.pdf', { type: 'application/pdf' });
    const sum = await client.upload([file]);
    expect(sum.indexed).toBe(1);
    const page = await client.documents({ limit: 10 });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ title: expect.any(String), status: 'indexed', media_type: 'application/pdf' });

    const hits = await client.search('bottles of water');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].path.endsWith('fake-memo.pdf')).toBe(true);
    expect(hits[0].page).toBe(1);
    expect(hits[0].snippet).toContain('<mark>');

    const doc = await client.document(hits[0].doc_id);
    expect(doc.chunks.some((c) => c.text.includes('20,000 bottles'))).toBe(true);

    const deltas: string[] = [];
    const ans = await client.ask('How many trucks were used?', { onDelta: (t) => deltas.push(t) });
    expect(ans.citations?.[0]?.path.endsWith('fake-memo.pdf')).toBe(true);
    expect(ans.answer).toContain('3 trucks');
    expect(deltas.join('')).toBe(ans.answer);

    const q = await client.queue();
    expect(q.pending + q.running + q.waiting).toBe(0);

    await client.deleteDocument(hits[0].doc_id);
    expect((await client.documents()).total).toBe(0);
    expect(await client.search('bottles of water')).toEqual([]);
  });

  it('manages watched folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-ui-watch-'));
    try {
      expect((await client.watch(dir, 'inbox')).path).toBe(dir);
      expect(await client.watched()).toEqual([expect.objectContaining({ path: dir, collection: 'inbox' })]);
      await client.unwatch(dir);
      expect(await client.watched()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns API errors into ApiError with the server message', async () => {
    await expect(client.document(999999)).rejects.toMatchObject({ name: 'ApiError', status: 404 });
    await expect(client.watch('/no/such/folder')).rejects.toMatchObject({ status: 400, message: expect.stringContaining('no such file') });
    const stranger = new Client((client as unknown as { base: string }).base, 'wrong-token');
    await expect(stranger.status()).rejects.toBeInstanceOf(ApiError);
    await expect(stranger.status()).rejects.toMatchObject({ status: 401 });
    const nowhere = new Client('http://127.0.0.1:1', token);
    await expect(nowhere.status()).rejects.toMatchObject({ status: 0 });
  });
});
