// @vitest-environment happy-dom
// The virtualized list in a DOM: 20,000 rows, a few dozen elements.
import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import Harness from '../testing/VirtualListHarness.svelte';

describe('VirtualList', () => {
  it('renders only the rows in view and follows scrolling', async () => {
    const target = document.createElement('div');
    document.body.appendChild(target);
    const ranges: [number, number][] = [];
    const app = mount(Harness, { target, props: { count: 20000, onrange: (s: number, e: number) => ranges.push([s, e]) } });
    flushSync();
    const rows = () => [...target.querySelectorAll('[data-index]')].map((el) => Number((el as HTMLElement).dataset.index));
    expect(rows().length).toBeGreaterThan(0);
    expect(rows().length).toBeLessThan(60);
    expect(rows()[0]).toBe(0);
    const spacer = target.querySelector('.spacer') as HTMLElement;
    expect(spacer.style.height).toBe(`${20000 * 44}px`);
    const viewport = target.querySelector('.viewport') as HTMLElement;
    viewport.scrollTop = 44 * 10000;
    viewport.dispatchEvent(new Event('scroll'));
    flushSync();
    expect(rows()).toContain(10000);
    expect(rows()).not.toContain(0);
    expect(target.textContent).toContain('row 10000');
    expect(ranges.at(-1)![0]).toBeLessThanOrEqual(10000);
    unmount(app);
  });
});
