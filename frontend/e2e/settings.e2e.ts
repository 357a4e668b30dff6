// Settings on a machine with no internet: the language model's Test and
// Save say plainly when nothing answers, list the models when a server
// does; a download fails in one sentence in its row, a model comes in from
// a folder instead; errors never cover the controls.
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, serve, type Served } from '../src/testing/serve';
import { axe } from './axe';
import { artifacts, chromiumPath, launch } from './browser';

const realModels = process.env.HOARD_REAL_MODELS ?? process.env.HOARD_MODELS ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local/share'), 'hoard/models');
const vad = join(realModels, 'silero-vad');
const hasVAD = existsSync(join(vad, 'silero_vad.onnx'));
if (!hasVAD && process.env.HOARD_REQUIRE_MODELS === '1') throw new Error(`no silero-vad in ${vad} (make models MODELS=silero-vad)`);

describe.skipIf(!(have() && existsSync(chromiumPath)))('settings, offline', () => {
  let srv: Served;
  let browser: Browser;
  let page: Page;
  let ollama: Server;
  let ollamaURL = '';
  let gone = '';
  const shots = artifacts('settings');
  const shot = async (name: string) => {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5000);
  };

  beforeAll(async () => {
    // An Ollama that lists two models, and an address where nothing listens.
    // Its /api/chat streams in Ollama's own lines, as a weak model would
    // answer: a citation of a passage it was not given ([7]), and an answer
    // that cites nothing.
    ollama = createServer((req, res) => {
      if (req.url === '/api/chat') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const msgs = (JSON.parse(body) as { messages: { role: string; content: string }[] }).messages;
          const q = msgs.at(-1)?.content ?? '';
          const text = /how wide/i.test(q) ? 'The Serpent River is 40 metres wide [1][7].' : /what colour/i.test(q) ? 'Its water is blue.' : '';
          res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
          for (const piece of text.match(/.{1,8}/g) ?? []) res.write(JSON.stringify({ model: 'qwen2.5:7b', message: { role: 'assistant', content: piece }, done: false }) + '\n');
          res.end(JSON.stringify({ model: 'qwen2.5:7b', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' }) + '\n');
        });
        return;
      }
      if (req.url !== '/api/tags') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ models: [{ name: 'llama3.2:latest' }, { name: 'qwen2.5:7b' }] }));
    });
    await new Promise<void>((ok) => ollama.listen(0, '127.0.0.1', ok));
    ollamaURL = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}`;
    const free = createServer();
    await new Promise<void>((ok) => free.listen(0, '127.0.0.1', ok));
    gone = `http://127.0.0.1:${(free.address() as AddressInfo).port}`;
    await new Promise((ok) => free.close(ok));
    // Downloads go to a host that does not resolve, as offline.
    // Questions go to the stand-in (flags given to serve win over Settings).
    srv = await serve('settings-token', ['--hub', 'http://hub.invalid', '--maven', 'http://hub.invalid', '--pypi', 'http://hub.invalid', '--llm', 'ollama', '--llm-url', ollamaURL, '--llm-model', 'qwen2.5:7b']);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${srv.base}/?token=${srv.token}#/settings`);
    await page.getByRole('heading', { name: 'Language model' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    ollama?.close();
  });

  it('tests the language model server: unreachable said plainly, a reachable one lists its models', async () => {
    await page.getByLabel('Model server').selectOption('ollama');
    await page.getByLabel('Address').first().fill(gone);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByText(`Nothing answers at ${gone}: is the server running, and is the address right?`).waitFor();
    // Saving it is kept, but not called a success.
    await page.getByRole('button', { name: 'Save' }).first().click();
    const saved = page.getByTestId('llm-saved');
    await saved.getByText('Saved, but questions are answered with passages until this works').waitFor();
    expect(await saved.getAttribute('class')).toContain('warn-text');
    await shot('llm-unreachable');

    await page.getByLabel('Address').first().fill(ollamaURL);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByText(`Connected to ${ollamaURL}: 2 models; questions use llama3.2:latest.`).waitFor();
    await page.getByRole('button', { name: 'qwen2.5:7b' }).click();
    expect(await page.getByLabel('Model', { exact: true }).first().inputValue()).toBe('qwen2.5:7b');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await saved.getByText('Saved. New questions use qwen2.5:7b.').waitFor();
    await shot('llm');
  });

  it('says in one sentence, in the row, that a download cannot reach the internet', async () => {
    for (const name of ['silero-vad', 'whisper-tiny', 'gte-small']) {
      const row = page.locator(`tr[data-model="${name}"]`);
      await row.getByRole('button', { name: `Download ${name}` }).click();
      await row.getByText('Could not reach the model server: this computer seems to be offline').waitFor();
      await row.getByRole('button', { name: `Try again ${name}` }).waitFor();
    }
    const text = await page.locator('section[aria-label="Settings"]').innerText();
    expect(text).not.toMatch(/no such host|dial tcp|lookup/);
    expect(await page.locator('.toast').count()).toBe(0);
    await page.locator('tr[data-model="gte-small"]').scrollIntoViewIfNeeded();
    await shot('download-offline');
  });

  it('marks the chat model that fits this machine among the models to download', async () => {
    const st = (await (await fetch(`${srv.base}/api/status`, { headers: { Authorization: `Bearer ${srv.token}` } })).json()) as { chat?: { suggested?: string } };
    const name = st.chat?.suggested;
    expect(name, 'the status suggests a chat model').toBeTruthy();
    const row = page.locator(`tr[data-model="${name}"]`);
    await row.getByText(/^Suggested chat model for this machine \(.+ of memory\)$/).waitFor();
    await row.getByRole('button', { name: `Download ${name}` }).waitFor();
    expect(await page.getByText(/^Suggested chat model/).count()).toBe(1);
  });

  it.skipIf(!hasVAD)('imports a model from a folder', async () => {
    const form = page.getByRole('form', { name: 'Import a model' });
    await form.getByLabel('Model to import').selectOption('silero-vad');
    await form.getByLabel('Folder or jar to import from').fill(mkdtempSync(join(tmpdir(), 'hoard-empty-')));
    await form.getByRole('button', { name: 'Import' }).click();
    await page.getByText(/silero_vad\.onnx is missing from/).waitFor();
    await form.getByLabel('Folder or jar to import from').fill(vad);
    await form.getByRole('button', { name: 'Import' }).click();
    await page.getByText('silero-vad: installed.').waitFor({ timeout: 30000 });
    await page.locator('tr[data-model="silero-vad"]').getByText('Installed (2.2 MiB)').waitFor();
    await shot('import');
  });

  it('shows repeated errors once, counted, in a strip that covers no control', async () => {
    const missing = join(tmpdir(), 'hoard-no-such-folder');
    for (let i = 0; i < 4; i++) {
      await page.getByLabel('Folder to watch').fill(missing);
      await page.getByRole('button', { name: 'Watch folder' }).click();
    }
    const toast = page.locator('.toast');
    await toast.getByText('(×4)').waitFor();
    expect(await toast.count()).toBe(1);
    // No control is under the strip: every control shown in the screen's
    // scrolled area is what a click at its middle hits.
    const covered = await page.evaluate(() => {
      const area = document.querySelector('.screen')!.getBoundingClientRect();
      return [...document.querySelectorAll('.screen button, .screen input:not([hidden]), .screen select, .screen a')]
        .filter((el) => {
          const r = el.getBoundingClientRect();
          const x = r.left + r.width / 2;
          const y = r.top + r.height / 2;
          if (!r.width || y < area.top || y > area.bottom || x < area.left || x > area.right) return false;
          const hit = document.elementFromPoint(x, y);
          return !hit || !(el === hit || el.contains(hit) || hit.contains(el));
        })
        .map((el) => el.outerHTML.slice(0, 80));
    });
    expect(await page.locator('.screen button').count()).toBeGreaterThan(10);
    expect(covered).toEqual([]);
    await shot('errors');
    expect(await axe(page)).toEqual([]);
  });

  it("flags the citations Hoard removed, and an answer that cites nothing, with the passages it was given", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoard-river-'));
    const note = join(dir, 'serpent-river.md');
    writeFileSync(note, '# The Serpent River\n\nThe Serpent River is 40 metres wide where it passes the mill. Its water is blue from the glacier that feeds it.\n');
    await page.getByRole('link', { name: 'Library' }).click();
    await page.getByLabel('Add files').setInputFiles(note);
    await page.locator('.doc[data-state="done"]', { hasText: 'The Serpent River' }).waitFor({ timeout: 30000 });
    await page.getByRole('link', { name: 'Chat' }).click();
    const input = page.getByLabel('Question');
    await input.fill('How wide is the Serpent River?');
    await input.press('Enter');
    const removed = page.locator('[data-check="removed"]').last();
    await removed.getByText('Hoard removed a citation [7]: the model cited a passage it was not given.').waitFor({ timeout: 30000 });
    const first = page.locator('.msg.assistant').last();
    expect(await first.locator('.answer').textContent()).not.toContain('[7]');
    expect(await first.locator('a.source').count()).toBe(1); // [1] stays, a card
    await input.fill('What colour is the water of the Serpent River?');
    await input.press('Enter');
    const uncited = page.locator('[data-check="uncited"]').last();
    await uncited.getByText('Uncited: this answer cites none of the passages it was given. Check it against them:').waitFor({ timeout: 30000 });
    const second = page.locator('.msg.assistant').last();
    await second.getByRole('list', { name: 'Passages it was given' }).locator('a.source', { hasText: 'The Serpent River' }).first().waitFor();
    expect(await page.locator('[data-check="removed"]').count()).toBe(1); // still under the first answer
    await shot('chat-checks');
    expect(await axe(page)).toEqual([]);
  });
});
