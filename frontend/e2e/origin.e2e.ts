// Another page on this machine (another port of 127.0.0.1) opened by the
// signed-in browser. Cookies do not tell ports apart and the two are the
// same site, so the session cookie goes with that page's requests: only the
// server's Origin checks stand between it and the vault. The page tries to
// plant a memory, upload a file and have a local folder indexed, with the
// request kinds a browser sends without asking (text/plain, multipart, a
// form), and a JSON one that needs CORS; none of it may reach the vault.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, serve, type Served } from '../src/testing/serve';
import { chromiumPath, launch } from './browser';

const ready = have() && existsSync(chromiumPath);

// The attacker's page: every request with the user's cookie, then "done".
function attackPage(hoard: string, secretDir: string): string {
  const note = JSON.stringify({ title: 'planted', text: 'planted by another page' });
  return `<!doctype html><meta charset="utf-8"><title>attack</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="${hoard}/api/memories" enctype="text/plain" target="sink">
  <input name='{"title":"form","text":"planted by a form","x":"' value='"}'>
</form>
<script>
const hoard = ${JSON.stringify(hoard)};
const send = (path, body, extra = {}) =>
  fetch(hoard + path, { method: 'POST', credentials: 'include', mode: 'no-cors', body, ...extra }).then(() => 'sent', (e) => String(e));
const form = new FormData();
form.append('file', new File(['# Planted\\n\\nThis file was planted by another page.\\n'], 'planted.md', { type: 'text/markdown' }));
const frame = document.querySelector('iframe');
const framed = new Promise((ok) => frame.addEventListener('load', ok, { once: true }));
document.getElementById('f').submit();
Promise.allSettled([
  send('/api/memories', ${JSON.stringify(note)}, { headers: { 'Content-Type': 'text/plain' } }),
  send('/api/documents', form),
  send('/api/documents?wait=true', form),
  send('/api/watched', ${JSON.stringify(JSON.stringify({ path: secretDir }))}, { headers: { 'Content-Type': 'text/plain' } }),
  fetch(hoard + '/api/watched', { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' },
    body: ${JSON.stringify(JSON.stringify({ path: secretDir }))} }).catch(String),
  framed,
]).then(() => { document.title = 'done'; });
</script>`;
}

describe.skipIf(!ready)('another origin on this machine', () => {
  let srv: Served;
  let browser: Browser;
  let attacker: Server;
  let attackURL = '';
  const secretDir = mkdtempSync(join(tmpdir(), 'hoard-secret-'));
  writeFileSync(join(secretDir, 'secret.md'), '# Secret\n\nThe spare key is under the third flower pot.\n');

  const get = async (path: string) => {
    const res = await fetch(srv.base + path, { headers: { Authorization: `Bearer ${srv.token}` } });
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    srv = await serve('origin-token');
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(attackPage(srv.base, secretDir));
    });
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', ok));
    attackURL = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    attacker?.close();
    rmSync(secretDir, { recursive: true, force: true });
  });

  it('plants nothing in the vault from a page on another port', async () => {
    const context = await browser.newContext();
    const ui = await context.newPage();
    await ui.goto(`${srv.base}/?token=${srv.token}`);
    await ui.getByRole('heading', { name: 'Your vault is empty' }).waitFor();
    expect((await context.cookies(srv.base)).map((c) => c.name)).toContain('hoard_session');

    const evil = await context.newPage();
    await evil.goto(attackURL);
    await evil.waitForFunction(() => document.title === 'done', undefined, { timeout: 30000 });
    // Time for anything that got in to be queued, indexed or watched.
    await new Promise((r) => setTimeout(r, 3000));

    const uploads = join(srv.vault, 'uploads');
    const reached = {
      memories: (await get('/api/memories')).total,
      documents: (await get('/api/documents')).total,
      watched: await get('/api/watched'),
      queued: (await get('/api/queue')).items ?? [],
      uploads: existsSync(uploads) ? readdirSync(uploads, { recursive: true }) : [],
    };
    expect(reached).toEqual({ memories: 0, documents: 0, watched: [], queued: [], uploads: [] });

    // The same cookie from Hoard's own page does write: the requests above
    // were refused for where they came from, not for a missing session.
    const code = await ui.evaluate(async () => {
      const res = await fetch('/api/memories', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'kept by the user' }) });
      return res.status;
    });
    expect(code).toBe(201);
    expect((await get('/api/memories')).total).toBe(1);
    await context.close();
  });

  // The UI's own pages are served with a content security policy (its own
  // scripts, styles and media only; no framing): every screen works under
  // it, nothing is refused, and no other page can frame it.
  it('runs every screen under its content security policy', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const ui = await context.newPage();
    const res = await ui.goto(`${srv.base}/?token=${srv.token}`);
    expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    await ui.getByRole('link', { name: 'Library' }).waitFor();
    for (const [link, heading] of [['Chat', 'Ask your vault'], ['Memory', null], ['Settings', 'Models'], ['Library', null]] as const) {
      await ui.getByRole('link', { name: link }).click();
      if (heading) await ui.getByRole('heading', { name: heading }).waitFor();
      else await ui.locator(`section[aria-label="${link}"]`).waitFor();
    }
    await ui.keyboard.press('Control+k');
    await ui.keyboard.type('kept by the user');
    await ui.locator('article.hit').first().waitFor();
    // An answer rendered from Markdown, under the same policy.
    await ui.getByRole('link', { name: 'Chat' }).click();
    await ui.getByLabel('Question').fill('What was kept by the user?');
    await ui.keyboard.press('Enter');
    await ui.locator('.msg.assistant :is(.answer, .nothing) p').first().waitFor({ timeout: 30000 });
    expect(await ui.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);

    // Framed, even by its own origin, it shows nothing.
    const framed = await ui.evaluate(async () => {
      const f = document.createElement('iframe');
      f.src = '/';
      document.body.append(f);
      await new Promise((r) => setTimeout(r, 1500));
      return f.contentDocument?.querySelector('nav') != null;
    });
    expect(framed).toBe(false);
    await context.close();
  });
});
