// @vitest-environment happy-dom
// The desktop window's parts of the page, against a stand-in for the
// runtime Wails injects (window.runtime): its events and Quit.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import DesktopWindow from './DesktopWindow.svelte';
import { dropSummary, isQuitKey, type DropResult } from './desktop';

function runtime() {
  const handlers = new Map<string, (...d: unknown[]) => void>();
  const rt = {
    emitted: [] as [string, unknown[]][],
    quits: 0,
    EventsOn(name: string, cb: (...d: unknown[]) => void) {
      handlers.set(name, cb);
      return () => handlers.delete(name);
    },
    EventsEmit(name: string, ...data: unknown[]) {
      rt.emitted.push([name, data]);
    },
    Quit() {
      rt.quits++;
    },
    fire(name: string, ...data: unknown[]) {
      handlers.get(name)?.(...data);
    },
  };
  (window as unknown as { runtime: unknown }).runtime = rt;
  return rt;
}

function drag(type: string, types = ['Files']): Event {
  const e = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(e, 'dataTransfer', { value: { types, dropEffect: 'none' } });
  window.dispatchEvent(e);
  return e;
}

const result = (r: Partial<DropResult>): DropResult => ({ collection: '', paths: [], queued: 0, skipped: 0, failed: null, ...r });

afterEach(() => {
  delete (window as unknown as { runtime?: unknown }).runtime;
  document.body.innerHTML = '';
});

describe('dropSummary', () => {
  it.each([
    [result({ queued: 1, paths: ['/a.pdf'] }), 'Adding 1 file to the vault'],
    [result({ collection: 'Research', queued: 12, skipped: 2 }), 'Adding 12 files to “Research” (2 skipped)'],
    [result({ queued: 0, failed: [{ path: '/gone', reason: 'no such file' }] }), 'Nothing to add to the vault (1 not found)'],
    [result({ error: 'disk full' }), 'Could not add to the vault: disk full'],
  ])('%o reads %s', (r, want) => expect(dropSummary(r)).toBe(want));
});

describe('isQuitKey', () => {
  it.each([
    [{ key: 'q', ctrlKey: true }, true],
    [{ key: 'W', ctrlKey: true }, true],
    [{ key: 'q', metaKey: true }, true],
    [{ key: 'q' }, false],
    [{ key: 'k', ctrlKey: true }, false],
    [{ key: 'q', ctrlKey: true, shiftKey: true }, false],
  ])('%o: %s', (init, want) => expect(isQuitKey(new KeyboardEvent('keydown', init))).toBe(want));
});

describe('DesktopWindow', () => {
  it('shows the overlay while files are dragged, tells the window the collection, and shows what a drop added', () => {
    const rt = runtime();
    const target = document.createElement('div');
    document.body.appendChild(target);
    const errors: string[] = [];
    const app = mount(DesktopWindow, { target, props: { collection: 'Research', onerror: (m: string) => errors.push(m) } });
    flushSync();
    expect(rt.emitted).toContainEqual(['hoard:collection', ['Research']]);

    drag('dragenter', ['text/plain']); // text: no overlay
    flushSync();
    expect(target.textContent).not.toContain('Drop to add');
    drag('dragstart', ['text/uri-list']); // a link dragged within the page
    drag('dragenter', ['text/uri-list']);
    flushSync();
    expect(target.textContent).not.toContain('Drop to add');
    drag('dragend', ['text/uri-list']);

    drag('dragenter', ['text/uri-list', 'text/html']); // files from another application, as WebKitGTK lists them
    const over = drag('dragover');
    flushSync();
    expect(over.defaultPrevented).toBe(true);
    expect(target.textContent).toContain('Drop to add to “Research”');
    drag('drop');
    flushSync();
    expect(target.textContent).not.toContain('Drop to add');

    rt.fire('hoard:dropped', result({ collection: 'Research', paths: ['/home/u/a.pdf', '/home/u/notes'], queued: 5, failed: [{ path: '/home/u/gone.txt', reason: 'no such file' }] }));
    flushSync();
    expect(target.querySelector('[role=status]')?.textContent).toContain('Adding 5 files to “Research” (1 not found)');
    expect(target.textContent).toContain('a.pdf, notes');
    expect(errors).toEqual(['gone.txt: no such file']);
    unmount(app);
  });

  it('leaves the overlay when the drag leaves the window', () => {
    runtime();
    const target = document.createElement('div');
    document.body.appendChild(target);
    const app = mount(DesktopWindow, { target, props: { collection: '', onerror: () => {} } });
    drag('dragenter');
    drag('dragenter'); // into a child element
    drag('dragleave');
    flushSync();
    expect(target.textContent).toContain('Drop to add to your vault');
    drag('dragleave');
    flushSync();
    expect(target.textContent).not.toContain('Drop to add');
    unmount(app);
  });

  it('quits on Ctrl+Q and Ctrl+W', () => {
    const rt = runtime();
    const target = document.createElement('div');
    document.body.appendChild(target);
    const app = mount(DesktopWindow, { target, props: { collection: '', onerror: () => {} } });
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'q', ctrlKey: true, cancelable: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'w', ctrlKey: true, cancelable: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, cancelable: true }));
    expect(rt.quits).toBe(2);
    unmount(app);
  });
});
