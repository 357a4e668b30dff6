// The load benchmark (make bench-ui): 20,000 documents in a vault, the
// Library screen in Chromium. Reports time to first render, how long a
// jump anywhere in the list takes to show its rows, frame times while
// scrolling, and the API's list latency; writes them to
// test-results/bench-ui.json. Figures are reported, not asserted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hoard, serve, type Served } from '../src/testing/serve';
import { artifacts, launch } from './browser';

const N = Number(process.env.HOARD_BENCH_DOCS ?? 20000);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

describe('Library with many documents', () => {
  let srv: Served;
  let dir: string;
  const figures: Record<string, number> = { documents: N };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoard-bench-ui-'));
    // A BEIR-style corpus file is read as one document per record.
    const lines = Array.from({ length: N }, (_, i) =>
      JSON.stringify({ _id: `d${i}`, title: `Report ${String(i).padStart(5, '0')} on topic ${i % 97}`, text: `Findings number ${i} about subject ${i % 131} and area ${i % 17}.` }),
    );
    writeFileSync(join(dir, 'corpus.jsonl'), lines.join('\n') + '\n');
    const t0 = performance.now();
    execFileSync(hoard, ['--vault', join(dir, 'vault'), '--models', join(dir, 'models'), 'add', join(dir, 'corpus.jsonl')], { stdio: 'ignore' });
    figures.seed_s = Math.round((performance.now() - t0) / 100) / 10;
    srv = await serve('bench-token', [], join(dir, 'vault'));
  }, 600000);

  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists pages quickly through the API', async () => {
    const auth = { Authorization: `Bearer ${srv.token}` };
    for (const sort of ['updated', 'title']) {
      const times: number[] = [];
      for (let i = 0; i < 60; i++) {
        const offset = Math.floor(Math.random() * (N - 100));
        const t0 = performance.now();
        const r = await fetch(`${srv.base}/api/documents?limit=100&offset=${offset}&sort=${sort}`, { headers: auth });
        const page = (await r.json()) as { total: number; items: unknown[] };
        times.push(performance.now() - t0);
        expect(page.total).toBe(N);
        expect(page.items).toHaveLength(100);
      }
      figures[`api_list_${sort}_p50_ms`] = pct(times, 50);
      figures[`api_list_${sort}_p95_ms`] = pct(times, 95);
    }
  });

  it('renders the first rows, jumps and scrolls smoothly', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${srv.base}/?token=${srv.token}`);
      await page.locator('.doc[data-id]').first().waitFor();
      figures.first_render_ms = Math.round(await page.evaluate(() => performance.now()));
      const count = await page.locator('p.count').textContent();
      expect(count).toContain(String(N));
      figures.rows_in_dom = await page.locator('.row').count();

      // Jumps: set the scroll position anywhere; time until its rows show.
      const jumps: number[] = [];
      for (let i = 0; i < 15; i++) {
        const target = Math.floor(((i + 0.5) / 15) * (N - 20));
        jumps.push(
          await page.evaluate(async (index) => {
            const vp = document.querySelector('.viewport') as HTMLElement;
            const t0 = performance.now();
            vp.scrollTop = index * 44;
            vp.dispatchEvent(new Event('scroll'));
            for (;;) {
              await new Promise((r) => requestAnimationFrame(r));
              const row = document.querySelector(`.row[data-index="${index}"] .doc[data-id]`);
              if (row) return performance.now() - t0;
              if (performance.now() - t0 > 10000) return -1;
            }
          }, target),
        );
      }
      expect(jumps.every((j) => j >= 0)).toBe(true);
      figures.jump_to_rows_p50_ms = pct(jumps, 50);
      figures.jump_to_rows_max_ms = pct(jumps, 100);

      // Continuous scrolling: frame intervals over 3 s of wheel-like steps.
      const frames = await page.evaluate(async () => {
        const vp = document.querySelector('.viewport') as HTMLElement;
        vp.scrollTop = 0;
        const gaps: number[] = [];
        let last = performance.now();
        const end = last + 3000;
        while (performance.now() < end) {
          vp.scrollTop += 120;
          vp.dispatchEvent(new Event('scroll'));
          await new Promise((r) => requestAnimationFrame(r));
          const now = performance.now();
          gaps.push(now - last);
          last = now;
        }
        return gaps;
      });
      figures.scroll_frames = frames.length;
      figures.scroll_frame_p50_ms = pct(frames, 50);
      figures.scroll_frame_p95_ms = pct(frames, 95);
      await page.screenshot({ path: join(artifacts('bench'), 'library-20k.png') });
    } finally {
      await browser.close();
    }
    const out = join(artifacts('.'), 'bench-ui.json');
    writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
    console.log(`bench-ui (${N} documents):`, JSON.stringify(figures));
  }, 120000);
});
