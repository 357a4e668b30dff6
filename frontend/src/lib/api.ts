// The UI's only way to Go: Hoard's HTTP API (backend/api). The same client
// runs in the desktop window (Wails serves /api/* to the webview) and in a
// browser against `hoard serve` (the session cookie from the token link).

export interface TimeSpan {
  start_ms: number;
  end_ms: number;
}

export interface DocumentInfo {
  id: number;
  collection: string;
  title: string;
  paths: string[];
  media_type: string;
  size: number;
  mtime: number;
  status: 'indexed' | 'failed' | 'queued';
  error?: string;
  chunks: number;
  pages: number;
  metadata?: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export interface Chunk {
  ordinal: number;
  text: string;
  page_start: number;
  page_end: number;
  heading: string;
  time?: TimeSpan;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

export interface Hit {
  chunk_id: number;
  doc_id: number;
  title: string;
  path: string;
  page: number;
  page_end: number;
  heading: string;
  snippet: string; // HTML-escaped, matches in <mark>
  text: string;
  score: number;
  collection: string;
  media_type: string;
  via?: string;
  time?: TimeSpan;
}

export interface QueueItem {
  id: number;
  path: string;
  op: 'index' | 'remove';
  state: 'pending' | 'running' | 'waiting';
  attempts: number;
  not_before?: string;
  reason?: string;
}

export interface Queue {
  pending: number;
  running: number;
  waiting: number;
  retrying: number;
  items: QueueItem[] | null;
}

export interface Summary {
  indexed: number;
  unchanged: number;
  linked: number;
  failed: { path: string; reason: string }[] | null;
  waiting?: { path: string; reason: string }[];
  retrying?: { path: string; reason: string }[];
  chunks: number;
}

export interface Citation {
  n: number;
  doc_id: number;
  chunk_id: number;
  title: string;
  path: string;
  page: number;
  time?: TimeSpan;
  text: string;
}

export interface Answer {
  answer: string;
  citations: Citation[] | null;
  conversation_id?: number;
  extractive?: boolean;
}

export interface Status {
  vault: string;
  documents: number;
  indexed: number;
  failed: number;
  chunks: number;
  bytes: number;
  queue: Queue;
  watched: { path: string; collection?: string }[] | null;
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

export class Client {
  constructor(
    private base = '',
    private token?: string,
    private fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  private async call<T>(method: string, path: string, body?: BodyInit | object, accept = 'application/json'): Promise<Response> {
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
      res = await this.fetchFn(this.base + path, { method, headers, body: payload, credentials: 'same-origin' });
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
      throw new ApiError(res.status, msg);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: BodyInit | object): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  status(): Promise<Status> {
    return this.json('GET', '/api/status');
  }

  documents(opt: { limit?: number; offset?: number; status?: string; collection?: string } = {}): Promise<Page<DocumentInfo>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opt)) if (v !== undefined && v !== '') q.set(k, String(v));
    return this.json('GET', `/api/documents?${q}`);
  }

  document(id: number): Promise<DocumentInfo & { chunks: Chunk[] }> {
    return this.json('GET', `/api/documents/${id}`);
  }

  deleteDocument(id: number): Promise<void> {
    return this.json('DELETE', `/api/documents/${id}`);
  }

  /** Uploads files (HTML5 drop or picker) into the vault and indexes them. */
  upload(files: Iterable<File>, collection?: string): Promise<Summary> {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    const q = collection ? `?collection=${encodeURIComponent(collection)}` : '';
    return this.json('POST', `/api/documents${q}`, form);
  }

  async search(q: string, limit = 20): Promise<Hit[]> {
    const r = await this.json<{ hits: Hit[] }>('GET', `/api/search?q=${encodeURIComponent(q)}&limit=${limit}`);
    return r.hits ?? [];
  }

  queue(limit = 50, offset = 0): Promise<Queue> {
    return this.json('GET', `/api/queue?limit=${limit}&offset=${offset}`);
  }

  watched(): Promise<{ path: string; collection: string }[]> {
    return this.json('GET', '/api/watched');
  }

  watch(path: string, collection?: string): Promise<{ path: string }> {
    return this.json('POST', '/api/watched', { path, collection });
  }

  unwatch(path: string): Promise<void> {
    return this.json('DELETE', `/api/watched?path=${encodeURIComponent(path)}`);
  }

  /** Asks the vault; the answer's text streams through onDelta as it is written. */
  async ask(question: string, opt: { conversation?: number; newConversation?: boolean; onDelta?: (text: string) => void } = {}): Promise<Answer> {
    const res = await this.call(
      'POST',
      '/api/ask',
      { question, conversation_id: opt.conversation ?? 0, new_conversation: !!opt.newConversation, stream: true },
      'text/event-stream',
    );
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (value) rest += dec.decode(value, { stream: true });
      const parsed = parseSSE(rest);
      rest = parsed.rest;
      for (const ev of parsed.events) {
        const data = JSON.parse(ev.data);
        if (ev.event === 'delta') opt.onDelta?.(data.text);
        else if (ev.event === 'answer') return data as Answer;
        else if (ev.event === 'error') throw new ApiError(500, data.error ?? 'the answer failed');
      }
      if (done) throw new ApiError(0, 'the answer stream ended early');
    }
  }
}
