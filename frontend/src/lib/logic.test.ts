// The UI's pure logic: routes, file states, paged loading.
import { describe, expect, it } from 'vitest';
import { href, parseHash } from './route';
import { documentState, queueNote, queueState, stateLabel, watchTrouble } from './status';
import { PagedList, visibleRange } from './pages';
import type { QueueItem } from './api';
import { batches } from './drop';

describe('routes', () => {
  it.each([
    ['', { screen: 'library' }],
    ['#/search?q=green%20tea', { screen: 'search', q: 'green tea' }],
    ['#/doc/42?page=3&chunk=7', { screen: 'doc', id: 42, page: 3, chunk: 7 }],
    ['#/doc/8?chunk=3&at=25160', { screen: 'doc', id: 8, chunk: 3, at: 25160 }],
    ['#/chat/5', { screen: 'chat', id: 5 }],
    ['#/nowhere/x?page=-1', { screen: 'library' }],
    ['#/doc/abc?page=2.5', { screen: 'doc' }],
  ])('%s', (hash, want) => {
    expect(parseHash(hash)).toEqual(want);
  });
  it('round-trips', () => {
    for (const r of [{ screen: 'doc', id: 9, page: 2, chunk: 11 }, { screen: 'doc', id: 4, chunk: 2, at: 113000 }, { screen: 'search', q: 'a&b=c' }, { screen: 'settings' }] as const) {
      expect(parseHash(href(r))).toEqual(r);
    }
  });
});

describe('file states', () => {
  const item = (o: Partial<QueueItem>): QueueItem => ({ id: 1, path: '/a/b.pdf', op: 'index', state: 'pending', attempts: 0, added_at: '2026-01-02T03:04:05Z', ...o });
  it.each([
    [item({}), 'queued'],
    [item({ state: 'running' }), 'queued'],
    [item({ state: 'running', stage: 'extracting' }), 'extracting'],
    [item({ state: 'running', stage: 'indexing' }), 'indexing'],
    [item({ state: 'waiting', reason: 'no engine' }), 'waiting'],
    [item({ attempts: 2 }), 'retrying'],
    [item({ op: 'remove' }), 'removing'],
  ] as const)('%o is %s', (q, want) => {
    expect(queueState(q)).toBe(want);
  });
  it('names documents and explains retries', () => {
    expect(documentState({ status: 'indexed' })).toBe('done');
    expect(documentState({ status: 'failed' })).toBe('failed');
    expect(stateLabel('extracting')).toBe('Extracting text');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(queueNote(item({ attempts: 1, reason: 'busy', not_before: '2026-01-01T00:00:04Z' }), now)).toBe('busy — next try in 4 s (attempt 2)');
    // A long recording tells how much of it is transcribed.
    expect(queueNote(item({ state: 'running', stage: 'transcribing', progress: { done_ms: 150000, total_ms: 720000 } }), now)).toBe('02:30 of 12:00 transcribed');
    // A voice note waiting for an engine points at Settings, not the command line.
    expect(queueNote(item({ state: 'waiting', reason: 'waiting for a transcription engine (set one up with `hoard transcription --url URL` or `--whisper whisper-base`)' }), now)).toBe(
      'waiting for transcription: set it up in Settings',
    );
  });
});

describe('paged list', () => {
  const rows = Array.from({ length: 20000 }, (_, i) => i);
  it('fetches only the pages in view, once', async () => {
    const calls: number[] = [];
    const list = new PagedList<number>(async (offset, limit) => {
      calls.push(offset);
      return { items: rows.slice(offset, offset + limit), total: rows.length };
    }, 100);
    await Promise.all([list.ensure(0, 40), list.ensure(10, 50)]);
    expect(calls).toEqual([0]);
    expect(list.total).toBe(20000);
    expect(list.at(39)).toBe(39);
    expect(list.at(150)).toBeUndefined();
    await list.ensure(19950, 20000);
    expect(list.at(19999)).toBe(19999);
    expect(calls).toEqual([0, 19900]);
    list.reset();
    expect(list.at(0)).toBeUndefined();
    expect(list.loadedPages).toBe(0);
  });
  it('drops a page that arrives after a reset', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const list = new PagedList<number>(async (offset, limit) => {
      await gate;
      return { items: rows.slice(offset, offset + limit), total: 1 };
    });
    const p = list.ensure(0, 10);
    list.reset();
    release();
    await p;
    expect(list.loadedPages).toBe(0);
  });
  it('computes the rows in view', () => {
    expect(visibleRange(0, 440, 44, 20000)).toEqual([0, 18]);
    expect(visibleRange(44 * 1000, 440, 44, 20000)).toEqual([992, 1018]);
    expect(visibleRange(44 * 20000, 440, 44, 20000)).toEqual([19992, 20000]);
    expect(visibleRange(0, 440, 44, 3)).toEqual([0, 3]);
  });
});

describe('upload batches', () => {
  it('splits into requests of at most n', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], 50)).toEqual([]);
  });
});

describe('the background watch in the status line', () => {
  it.each([
    [null, ''],
    [{}, ''],
    [{ watch: { running: false } }, ''],
    [{ watch: { running: true } }, ''],
    [{ watch: { running: true, retrying: true, message: 'retrying in 4s: database is locked' } }, 'Watching paused, retrying in 4s: database is locked'],
  ])('%j → %s', (snap, want) => {
    expect(watchTrouble(snap)).toBe(want);
  });
});
