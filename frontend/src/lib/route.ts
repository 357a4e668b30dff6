// The app's screens live in the address's hash, so reloading, the back
// button and links from citations all work without a server-side router.

export type Screen = 'library' | 'search' | 'chat' | 'memory' | 'settings' | 'doc';

export interface Route {
  screen: Screen;
  id?: number; // a document (doc) or conversation (chat)
  page?: number; // the page to show (doc)
  chunk?: number; // the passage to show (doc)
  at?: number; // where to start a recording, in ms (doc)
  q?: string; // the search query (search)
}

const screens: Screen[] = ['library', 'search', 'chat', 'memory', 'settings', 'doc'];

export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [name, id] = path.split('/');
  const params = new URLSearchParams(query);
  const screen = (screens as string[]).includes(name) ? (name as Screen) : 'library';
  const r: Route = { screen };
  const num = (s: string | null | undefined) => {
    const n = Number(s);
    return s && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  if (num(id)) r.id = num(id);
  if (num(params.get('page'))) r.page = num(params.get('page'));
  if (num(params.get('chunk'))) r.chunk = num(params.get('chunk'));
  if (num(params.get('at'))) r.at = num(params.get('at'));
  if (params.get('q')) r.q = params.get('q')!;
  return r;
}

export function href(r: Route): string {
  let s = `#/${r.screen}`;
  if (r.id) s += `/${r.id}`;
  const q = new URLSearchParams();
  if (r.page) q.set('page', String(r.page));
  if (r.chunk) q.set('chunk', String(r.chunk));
  if (r.at) q.set('at', String(r.at));
  if (r.q) q.set('q', r.q);
  const qs = q.toString();
  return qs ? `${s}?${qs}` : s;
}
