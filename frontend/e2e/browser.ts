// Debian's Chromium driven by playwright-core (no browser download), with
// the flags this machine's closed network needs.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.HOARD_CHROMIUM ?? '/usr/bin/chromium';

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Where screenshots go: $HOARD_ARTIFACTS/NAME, else frontend/test-results/NAME. */
export function artifacts(name: string): string {
  const dir = join(process.env.HOARD_ARTIFACTS ?? resolve(__dirname, '..', 'test-results'), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
