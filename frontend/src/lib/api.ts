// The UI's only way to Go: Hoard's HTTP API (backend/api). The same client
// runs in the desktop window (Wails serves /api/* to the webview) and in a
// browser against `hoard serve` (the session cookie from the token link).
//
// The API's types are generated from the Go types (backend/api/wire) into
// wire.ts by `make types`; they are re-exported here.

import type {
  Answer,
  App,
  AskRequest,
  Collection,
  CollectionRequest,
  ConversationDetail,
  Conversations,
  DocumentDetail,
  DocumentPage,
  Exported,
  ImportResult,
  LLMSettings,
  LLMTest,
  ModelInstalled,
  ModelStatus,
  Outcome,
  Outcomes,
  PageLayout,
  PullProgress,
  Queue,
  QueueItem,
  Queued,
  Reindexed,
  SearchResult,
  Snapshot,
  Status,
  Summary,
  TranscriptionSettings,
  TranscriptionTest,
  WatchedFolder,
  Watching,
} from './wire';

export type * from './wire';

/** The query of GET /api/documents. */
export interface ListOptions {
  limit?: number;
  offset?: number;
  status?: string;
  collection?: string;
  q?: string;
  sort?: string;
}

/** An error the API answered with ({"error": "..."}), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface SSEEvent {
  event: string;
  data: string;
}

/**
 * Splits a server-sent event stream into events. Text may arrive in any
 * pieces; an event ends at a blank line. Returns the complete events and
 * what is left over for the next piece.
 */
export function parseSSE(buffer: string): { events: SSEEvent[]; rest: string } {
  const events: SSEEvent[] = [];
  const text = buffer.replace(/\r\n/g, '\n');
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n\n', start);
    if (end < 0) break;
    const block = text.slice(start, end);
    start = end + 2;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a comment (keep-alive)
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest: text.slice(start) };
}

type Fetch = typeof fetch;

/** Reads a response's event stream; onEvent returns true to stop early. */
async function readEvents(res: Response, onEvent: (ev: SSEEvent) => boolean | void): Promise<void> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let rest = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) rest += dec.decode(value, { stream: true });
      const parsed = parseSSE(rest);
      rest = parsed.rest;
      for (const ev of parsed.events) if (onEvent(ev)) return;
      if (done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function uploadForm(files: Iterable<File>): FormData {
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  return form;
}

function uploadQuery(collection: string | undefined, wait: boolean): string {
  const q = new URLSearchParams();
  if (collection) q.set('collection', collection);
  if (wait) q.set('wait', 'true');
  return q.toString();
}

export class Client {
  /** Hears every 401: the session is gone (a restarted server, no sign-in yet). */
  onUnauthorized?: () => void;

  constructor(
    private base = '',
    private token?: string,
    private fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  private async call(method: string, path: string, body?: BodyInit | object, accept = 'application/json', signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData || typeof body === 'string') {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, { method, headers, body: payload, credentials: 'same-origin', signal });
    } catch (e) {
      throw new ApiError(0, `Hoard is not reachable: ${(e as Error).message}`);
    }
    if (!res.ok) {
      let msg = res.statusText;
      try {
        msg = ((await res.json()) as { error?: string }).error ?? msg;
      } catch {
        /* not JSON: keep the status text */
      }
      if (res.status === 401) this.onUnauthorized?.();
      throw new ApiError(res.status, msg);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: BodyInit | object): Promise<T> {
    const res = await this.call(method, path, body);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** Which app this is: the desktop window (native file drop, system viewer) or a browser. */
  app(): Promise<App> {
    return this.json('GET', '/api/app');
  }

  status(): Promise<Status> {
    return this.json('GET', '/api/status');
  }

  documents(opt: ListOptions = {}): Promise<DocumentPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opt)) if (v !== undefined && v !== '') q.set(k, String(v));
    return this.json('GET', `/api/documents?${q}`);
  }

  document(id: number): Promise<DocumentDetail> {
    return this.json('GET', `/api/documents/${id}`);
  }

  deleteDocument(id: number): Promise<void> {
    return this.json('DELETE', `/api/documents/${id}`);
  }

  /** Uploads files and waits until they are indexed. */
  upload(files: Iterable<File>, collection?: string): Promise<Summary> {
    return this.json('POST', `/api/documents?${uploadQuery(collection, true)}`, uploadForm(files));
  }

  /** Uploads files (HTML5 drop or picker); they are indexed in the background (see events). */
  enqueue(files: Iterable<File>, collection?: string): Promise<Queued> {
    return this.json('POST', `/api/documents?${uploadQuery(collection, false)}`, uploadForm(files));
  }

  moveDocument(id: number, collection: string): Promise<DocumentDetail> {
    return this.json('PATCH', `/api/documents/${id}`, { collection });
  }

  reindex(id: number): Promise<Reindexed> {
    return this.json('POST', `/api/documents/${id}/reindex`);
  }

  /** Opens the document's file in the system viewer (desktop app only). */
  open(id: number, page = 0): Promise<void> {
    return this.json('POST', `/api/documents/${id}/open`, { page });
  }

  /** The original file, for the browser to show. */
  fileURL(id: number): string {
    return `${this.base}/api/documents/${id}/file`;
  }

  /** A PDF page's words and their boxes, and its printed label. */
  pageLayout(id: number, page: number): Promise<PageLayout> {
    return this.json<PageLayout>('GET', `/api/documents/${id}/pages/${page}/layout`);
  }

  /** A page of a PDF drawn as PNG. */
  pageURL(id: number, page: number, width = 900): string {
    return `${this.base}/api/documents/${id}/pages/${page}?width=${width}`;
  }

  collections(): Promise<Collection[]> {
    return this.json('GET', '/api/collections');
  }

  createCollection(name: string, weight = 1): Promise<Collection> {
    const body: CollectionRequest = { name, weight };
    return this.json('POST', '/api/collections', body);
  }

  updateCollection(name: string, change: CollectionRequest): Promise<Collection> {
    return this.json('PATCH', `/api/collections/${encodeURIComponent(name)}`, change);
  }

  deleteCollection(name: string): Promise<void> {
    return this.json('DELETE', `/api/collections/${encodeURIComponent(name)}`);
  }

  /** Writes an export where the user picks in the window's save dialog; null when cancelled (desktop app only). */
  async saveExport(): Promise<Exported | null> {
    return (await this.json<Exported | undefined>('POST', '/api/export/save')) ?? null;
  }

  exportURL(): string {
    return `${this.base}/api/export`;
  }

  /** Reads a vault export into this vault. */
  importVault(file: File): Promise<ImportResult> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.json('POST', '/api/import', form);
  }

  models(): Promise<ModelStatus[]> {
    return this.json('GET', '/api/models');
  }

  /** Downloads a model; onProgress hears bytes done of total per file. */
  async pullModel(name: string, onProgress?: (p: PullProgress) => void): Promise<string> {
    const res = await this.call('POST', `/api/models/${encodeURIComponent(name)}/pull`, undefined, 'text/event-stream');
    let note = '';
    await readEvents(res, (ev) => {
      const data = JSON.parse(ev.data);
      if (ev.event === 'progress') onProgress?.(data as PullProgress);
      else if (ev.event === 'error') throw new ApiError(500, data.error);
      else if (ev.event === 'done') {
        note = (data as ModelInstalled).note;
        return true;
      }
    });
    return note;
  }

  /** Installs a model from a folder (or jar) on the machine Hoard runs on. */
  importModel(name: string, from: string): Promise<ModelInstalled> {
    return this.json('POST', `/api/models/${encodeURIComponent(name)}/import`, { from });
  }

  /** Connects to the language model server these (unsaved) settings name and lists its models. */
  testLLM(s: LLMSettings): Promise<LLMTest> {
    return this.json('POST', '/api/llm/test', s);
  }

  llm(): Promise<LLMSettings> {
    return this.json('GET', '/api/llm');
  }

  transcription(): Promise<TranscriptionSettings> {
    return this.json('GET', '/api/transcription');
  }

  setTranscription(t: TranscriptionSettings): Promise<TranscriptionSettings> {
    return this.json('PUT', '/api/transcription', t);
  }

  /** Transcribes a recording (or, with none, the built-in sample) with the engine in force; nothing is stored. */
  testTranscription(file?: File): Promise<TranscriptionTest> {
    if (!file) return this.json('POST', '/api/transcription/test?sample=1');
    const form = new FormData();
    form.append('file', file, file.name);
    return this.json('POST', '/api/transcription/test', form);
  }

  setLLM(s: LLMSettings): Promise<LLMSettings> {
    return this.json('PUT', '/api/llm', s);
  }

  conversations(): Promise<Conversations> {
    return this.json('GET', '/api/conversations?limit=200');
  }

  conversation(id: number): Promise<ConversationDetail> {
    return this.json('GET', `/api/conversations/${id}`);
  }

  deleteConversation(id: number): Promise<void> {
    return this.json('DELETE', `/api/conversations/${id}`);
  }

  /**
   * Follows the library live: onSnapshot hears each change until the
   * returned function is called. A dropped stream is opened again.
   */
  events(onSnapshot: (s: Snapshot) => void, onError?: (e: ApiError) => void): () => void {
    const stop = new AbortController();
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const res = await this.call('GET', '/api/events', undefined, 'text/event-stream', stop.signal);
          await readEvents(res, (ev) => {
            if (ev.event === 'status') onSnapshot(JSON.parse(ev.data) as Snapshot);
          });
        } catch (e) {
          if (stop.signal.aborted) return;
          onError?.(e instanceof ApiError ? e : new ApiError(0, String(e)));
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    run();
    return () => stop.abort();
  }

  /** Hits for q; grouped, each document once at its best passage (with `more` matching passages). */
  async search(q: string, limit = 20, group = false): Promise<SearchResult['hits']> {
    const r = await this.json<SearchResult>('GET', `/api/search?q=${encodeURIComponent(q)}&limit=${limit}${group ? '&group=1' : ''}`);
    return r.hits ?? [];
  }

  queue(limit = 50, offset = 0): Promise<Queue> {
    return this.json('GET', `/api/queue?limit=${limit}&offset=${offset}`);
  }

  /** Takes a file out of the queue before it is indexed (409 while it is worked on). */
  cancelQueued(id: number): Promise<QueueItem> {
    return this.json('DELETE', `/api/queue/${id}`);
  }

  /** What became of queued files: indexed, linked (a duplicate), failed… or still pending. */
  async outcomes(paths: string[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (let i = 0; i < paths.length; i += 1000) {
      out.push(...(await this.json<Outcomes>('POST', '/api/queue/outcomes', { paths: paths.slice(i, i + 1000) })).items);
    }
    return out;
  }

  watched(): Promise<WatchedFolder[]> {
    return this.json('GET', '/api/watched');
  }

  watch(path: string, collection?: string): Promise<Watching> {
    return this.json('POST', '/api/watched', { path, collection });
  }

  unwatch(path: string): Promise<void> {
    return this.json('DELETE', `/api/watched?path=${encodeURIComponent(path)}`);
  }

  /** Asks the vault; the answer's text streams through onDelta as it is written. */
  async ask(question: string, opt: { conversation?: number; newConversation?: boolean; onDelta?: (text: string) => void } = {}): Promise<Answer> {
    const body: AskRequest = { question, conversation_id: opt.conversation ?? 0, new_conversation: !!opt.newConversation, stream: true };
    const res = await this.call('POST', '/api/ask', body, 'text/event-stream');
    let answer: Answer | undefined;
    await readEvents(res, (ev) => {
      const data = JSON.parse(ev.data);
      if (ev.event === 'delta') opt.onDelta?.(data.text);
      else if (ev.event === 'error') throw new ApiError(500, data.error ?? 'the answer failed');
      else if (ev.event === 'answer') {
        answer = data as Answer;
        return true;
      }
    });
    if (!answer) throw new ApiError(0, 'the answer stream ended early');
    return answer;
  }
}
