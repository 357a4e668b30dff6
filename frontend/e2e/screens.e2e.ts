// The Library's rows and what an upload came to, the row menu, the
// keyboard, narrow windows, contrast, and axe-core on every screen in both
// themes; in a real browser against `hoard serve` (screenshots in
// test-results/screens).
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, serve, shared, type Served } from '../src/testing/serve';
import { axe, contrast } from './axe';
import { artifacts, chromiumPath, launch } from './browser';

const docs = join(shared, 'samples/docs');
const listPDF = join(docs, 'unstructured/list-item-example.pdf');
const wordPDF = join(docs, 'pdfminer/font-size-test.pdf'); // titled "Microsoft Word - font-size-test.docx"
const jpgPDF = join(docs, 'unstructured/loremipsum-flat.pdf'); // titled "loremipsum.jpg"
const ready = have(listPDF, wordPDF, jpgPDF) && existsSync(chromiumPath);
// A real manual whose printed page numbers are not its page indexes (title
// pages T-1, T-2, contents i, then 1…), as Debian ships it.
const manual = '/usr/share/doc/libtasn1-doc/libtasn1.pdf';
const hasManual = existsSync(manual);
if (!hasManual && process.env.HOARD_REQUIRE_SHARED === '1') throw new Error(`${manual} is missing (apt install libtasn1-doc)`);

// A PDF page with nothing on it (a scan OCR finds no text in), and a file
// that only says it is a PDF.
function madeFiles(): { blank: string; broken: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-screens-'));
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>'];
  let pdf = '%PDF-1.4\n';
  const offs: number[] = [];
  objs.forEach((o, i) => {
    offs.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const blank = join(dir, 'blank-scan.pdf');
  const broken = join(dir, 'broken.pdf');
  writeFileSync(blank, pdf);
  writeFileSync(broken, '%PDF-1.4 this is not a PDF at all');
  return { blank, broken };
}

describe.skipIf(!ready)('the screens, by mouse, keyboard and axe', () => {
  let srv: Served;
  let browser: Browser;
  let page: Page;
  const shots = artifacts('screens');
  const shot = async (name: string) => {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5000);
  };
  const row = (title: string) => page.locator('.doc', { has: page.locator('a.title', { hasText: title }) });
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent?.trim());

  beforeAll(async () => {
    srv = await serve('screens-token');
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => d.accept());
    // Listening from the start turns file-chooser interception on before
    // any key opens one (turned on when the first listener comes, it races).
    page.on('filechooser', () => {});
    await page.goto(`${srv.base}/?token=${srv.token}`);
    await page.getByRole('heading', { name: 'Your vault is empty' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('sums an upload up in one line, and shows titles, kinds, dates and empty documents', async () => {
    const { blank, broken } = madeFiles();
    await page.getByLabel('Add files').setInputFiles([listPDF, wordPDF, jpgPDF, blank, broken]);
    const summary = page.getByRole('status', { name: 'Upload summary' });
    await summary.getByText('4 files added · 1 failed').waitFor({ timeout: 60000 });
    expect(await summary.locator('.failures li').textContent()).toMatch(/^broken\.pdf: /);
    // The same file again is a duplicate of what the vault holds.
    await page.getByLabel('Add files').setInputFiles(listPDF);
    await summary.getByText('1 duplicate of what the vault holds').waitFor({ timeout: 30000 });
    await page.getByText('5 documents').waitFor();

    // Junk titles give way to the file's name; the title the file has stays a tooltip.
    await row('font-size-test.pdf').waitFor();
    expect(await row('font-size-test.pdf').locator('a.title').getAttribute('title')).toContain('Microsoft Word - font-size-test.docx');
    await row('loremipsum-flat.pdf').waitFor();
    expect(await row('Unstructured-test-doc').locator('.file').textContent()).toMatch(/^list-item-example( \(2\))?\.pdf$/);
    expect(await row('Unstructured-test-doc').locator('.type').textContent()).toBe('PDF');
    expect(await row('Unstructured-test-doc').locator('.date').textContent()).toMatch(/\d{4}/);
    // No text: a warning with the reason, not a green Done.
    const empty = row('blank-scan');
    expect(await empty.getAttribute('data-state')).toBe('notext');
    expect(await empty.locator('.badge').textContent()).toMatch(/^No text: no text layer/);
    expect(await row('Unstructured-test-doc').getAttribute('data-state')).toBe('done');
    // Failed: Retry indexes it again (and it fails again, saying why).
    const failed = row('broken');
    expect(await failed.getAttribute('data-state')).toBe('failed');
    await shot('library-columns');
    await failed.getByRole('button', { name: 'Retry broken' }).click();
    await page.locator('.doc[data-state="failed"]', { hasText: 'broken' }).waitFor();
  });

  it('opens the row menu above the rows below it: Delete on the first row is clickable', async () => {
    // Sorted by status the failed file leads, whatever finished last: the
    // row deleted is always that one, and the empty document and the PDFs
    // that later tests open stay (by the newest change, the blank scan's
    // OCR could finish after the retry and be deleted instead).
    await page.getByLabel('Sort', { exact: true }).selectOption('status');
    const first = page.locator('.doc').first();
    await first.locator('a.title', { hasText: 'broken' }).waitFor();
    const title = (await first.locator('a.title').textContent())!;
    await first.getByRole('button', { name: /^Actions for/ }).click();
    const menu = page.getByRole('menu');
    await menu.waitFor();
    expect(await focused()).toBe((await menu.getByRole('menuitem').first().textContent())!.trim());
    await shot('library-menu');
    // Playwright clicks only what is on top at that point: a row covering it fails here.
    await menu.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByText('4 documents').waitFor();
    expect(await page.locator('a.title', { hasText: title }).count()).toBe(0);
    await page.getByLabel('Sort', { exact: true }).selectOption('updated');
  });

  it('is used with Tab, Enter, arrows and Escape, Add files included', async () => {
    await page.keyboard.press('Control+k');
    expect(await focused()).toBe('Search');
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push((await focused())!);
    }
    expect(order).toEqual(['Filter documents', 'Status', 'Collection', 'Sort', 'Add folder', 'Add files', 'Dismiss the summary']);
    // Enter on Add files opens the file chooser.
    await page.keyboard.press('Shift+Tab');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles(wordPDF); // a duplicate: nothing changes
    await page.getByText('1 duplicate of what the vault holds').waitFor({ timeout: 30000 });
    // The row menu: Enter opens it on its first item, arrows walk it, Escape closes it and gives the focus back.
    const actions = page.locator('.doc').first().getByRole('button', { name: /^Actions for/ });
    await actions.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    const items = await page.getByRole('menuitem').allTextContents();
    expect(await focused()).toBe(items[0].trim());
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Delete');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await focused()).toBe(await actions.getAttribute('aria-label'));
    // Into a document and back with the keyboard alone.
    await page.locator('.doc a.title', { hasText: 'Unstructured-test-doc' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Page 1 of 2').waitFor();
    // Pages turn with the arrows and Page Up/Down, + and - zoom.
    await page.keyboard.press('ArrowRight');
    await page.getByText('Page 2 of 2').waitFor();
    await page.keyboard.press('PageUp');
    await page.getByText('Page 1 of 2').waitFor();
    await page.keyboard.press('PageDown');
    await page.getByText('Page 2 of 2').waitFor();
    await page.keyboard.press('+');
    await page.locator('[data-zoom="125"]').waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector('img.page') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth >= 1125 && img.getBoundingClientRect().width > 1100;
    });
    await shot('document-zoom');
    await page.keyboard.press('-');
    await page.locator('[data-zoom="100"]').waitFor();
    await page.goBack();
    await page.goBack();
    await page.goBack();
    await page.goBack();
    await page.locator('.doc').first().waitFor();
  });

  it('keeps the title column and the Ask button at 700 px, the sidebar folded', async () => {
    await page.setViewportSize({ width: 700, height: 800 });
    const nav = await page.getByRole('navigation', { name: 'Screens' }).boundingBox();
    expect(nav!.height).toBeLessThan(80); // a bar above, not a column beside
    const title = await page.locator('.doc a.title').first().boundingBox();
    expect(title!.width).toBeGreaterThan(150);
    expect(title!.x + title!.width).toBeLessThanOrEqual(700);
    const actions = await page.locator('.doc .actions button').first().boundingBox();
    expect(actions!.x + actions!.width).toBeLessThanOrEqual(700);
    await shot('library-700');
    await page.getByRole('link', { name: 'Chat' }).click();
    const ask = await page.getByRole('button', { name: 'Ask' }).boundingBox();
    expect(ask!.x + ask!.width).toBeLessThanOrEqual(700);
    expect(ask!.y + ask!.height).toBeLessThanOrEqual(800);
    await shot('chat-700');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('link', { name: 'Library' }).click();
  });

  it('meets WCAG AA contrast for the Done badge and the primary buttons in both themes', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.locator('.doc[data-state="done"] .badge').first().waitFor();
      const [badge, primary] = await page.evaluate(() =>
        ['.doc[data-state="done"] .badge', 'button.primary'].map((sel) => {
          const s = getComputedStyle(document.querySelector(sel)!);
          return [s.color, s.backgroundColor];
        }),
      );
      expect(contrast(badge[0], badge[1]), `${scheme} Done badge ${badge}`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(primary[0], primary[1]), `${scheme} primary button ${primary}`).toBeGreaterThanOrEqual(4.5);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('has no serious or critical axe findings on any screen, in either theme', async () => {
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Question').fill('What is the role of the design team in prototyping?');
    await page.keyboard.press('Enter');
    await page.locator('a.source').first().waitFor({ timeout: 30000 });
    const conversation = page.url();
    const doc = await page.locator('a.source').first().getAttribute('href');
    const screens: [string, () => Promise<unknown>][] = [
      ['library', async () => { await page.goto(`${srv.base}/#/library`); await page.locator('.doc').first().waitFor(); }],
      ['search', async () => { await page.goto(`${srv.base}/#/search?q=design%20team`); await page.locator('article.hit').first().waitFor(); }],
      ['chat', async () => { await page.goto(conversation); await page.locator('a.source').first().waitFor(); }],
      ['memory', async () => { await page.goto(`${srv.base}/#/memory`); await page.locator('tr[data-collection="library"]').waitFor(); }],
      ['settings', async () => { await page.goto(`${srv.base}/#/settings`); await page.locator('tr[data-model]').first().waitFor(); }],
      ['document', async () => { await page.goto(`${srv.base}/${doc}`); await page.locator('img.page').waitFor(); }],
      ['empty-document', async () => { await page.goto(`${srv.base}/#/library`); await page.locator('.doc[data-state="notext"] a.title').click(); await page.getByText(/No text was found/).waitFor(); }],
    ];
    const found: Record<string, unknown> = {};
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, open] of screens) {
        await open();
        const f = await axe(page);
        if (f.length) found[`${name} (${scheme})`] = f;
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual({});
  });

  // The pager says the page and, once its words are placed, its printed label.
  const pageShows = (n: number, label: string) =>
    page.waitForFunction(
      ([n, label]) => document.querySelector('.pageno')?.textContent?.replace(/\s+/g, ' ').trim() === `Page ${n} of 36 (printed “${label}”)`,
      [n, label] as const,
    );

  it.skipIf(!hasManual)("shows a page's printed label and marks the cited passage; the page's text can be selected", async () => {
    await page.goto(`${srv.base}/#/library`);
    await page.getByLabel('Add files').setInputFiles(manual);
    await page.locator('.doc[data-state="done"]', { hasText: 'libtasn1' }).waitFor({ timeout: 60000 });
    await page.goto(`${srv.base}/#/search?q=${encodeURIComponent('Distinguished Encoding Rules')}`);
    await page.locator('article.hit').first().locator('h3 a').click();
    await page.locator('.textlayer .word.hit').first().waitFor();
    await shot('document-marked');
    await page.locator('.textlayer').click({ position: { x: 5, y: 5 } }); // keys turn pages once the search box has let go
    await page.keyboard.press('Home');
    await pageShows(1, 'T-1');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await pageShows(3, 'i'); // two keys in a row: both turn
    await page.locator('.textlayer .word').first().waitFor();
    const selected = await page.evaluate(() => {
      const layer = document.querySelector('.textlayer')!;
      getSelection()!.selectAllChildren(layer);
      return getSelection()!.toString();
    });
    expect(selected).toContain('Table of Contents');
    await shot('document-label');
    await page.keyboard.press('ArrowRight');
    await pageShows(4, '1');
  });
});
