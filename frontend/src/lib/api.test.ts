// The API client against the real thing: `bin/hoard serve` on a temporary
// vault (make test builds it first), with a real PDF from ../shared.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, serve, shared, type Served } from '../testing/serve';
import { ApiError, Client, parseSSE, type Snapshot } from './api';

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

const memo = join(shared, 'samples/docs/unstructured/fake-memo.pdf');
const ready = have(memo);

describe.skipIf(!ready)('Client against hoard serve', () => {
  let srv: Served;
  let client: Client;

  beforeAll(async () => {
    srv = await serve();
    client = new Client(srv.base, srv.token);
  });

  afterAll(() => srv?.stop());

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
    const stranger = new Client(srv.base, 'wrong-token');
    await expect(stranger.status()).rejects.toBeInstanceOf(ApiError);
    await expect(stranger.status()).rejects.toMatchObject({ status: 401 });
    const nowhere = new Client('http://127.0.0.1:1', srv.token);
    await expect(nowhere.status()).rejects.toMatchObject({ status: 0 });
  });

  it('queues uploads and follows them live, then organises them', async () => {
    const file = new File([readFileSync(memo)], 'memo.pdf', { type: 'application/pdf' });
    const seen: Snapshot[] = [];
    const done = new Promise<void>((ok) => {
      const stop = client.events((s) => {
        seen.push(s);
        if (s.documents === 1 && s.queue.pending + s.queue.running === 0) {
          stop();
          ok();
        }
      });
    });
    const r = await client.enqueue([file]);
    expect(r.queued).toHaveLength(1);
    await done;
    expect(seen.map((s) => s.seq)).toEqual([...seen.map((s) => s.seq)].sort((a, b) => a - b));

    const [doc] = (await client.documents({ q: 'memo' })).items;
    await client.createCollection('Work', 2);
    expect((await client.moveDocument(doc.id, 'Work')).collection).toBe('Work');
    expect((await client.documents({ collection: 'Work' })).total).toBe(1);
    await expect(client.deleteCollection('Work')).rejects.toMatchObject({ status: 409 });
    const renamed = await client.updateCollection('Work', { name: 'Projects', weight: 1.5 });
    expect(renamed).toMatchObject({ name: 'Projects', weight: 1.5, documents: 1 });

    const page = await fetch(client.pageURL(doc.id, 1, 400), { headers: { Authorization: `Bearer ${srv.token}` } });
    expect(page.headers.get('content-type')).toBe('image/png');
    expect((await page.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    await expect(client.open(doc.id)).rejects.toMatchObject({ status: 501 });
    expect(await client.app()).toMatchObject({ desktop: false });
    await client.deleteDocument(doc.id);
  });
});
