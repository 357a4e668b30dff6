// The desktop window's side of the page: Wails injects its runtime
// (window.runtime) into the page it serves. In a browser there is none and
// these do nothing.

interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): () => void;
  EventsEmit(name: string, ...data: unknown[]): void;
  Quit(): void;
}

function wails(): WailsRuntime | undefined {
  return (window as unknown as { runtime?: WailsRuntime }).runtime;
}

/** What a drop on the window added (the window's "hoard:dropped" event). */
export interface DropResult {
  collection: string;
  paths: string[];
  queued: number;
  skipped: number;
  failed: { path: string; reason: string }[] | null;
  error?: string;
}

/** Hears each drop's result until the returned function is called. */
export function onDropped(cb: (r: DropResult) => void): () => void {
  return wails()?.EventsOn('hoard:dropped', (r) => cb(r as DropResult)) ?? (() => {});
}

/** Tells the window which collection drops go to ("": the vault's default). */
export function dropInto(collection: string) {
  wails()?.EventsEmit('hoard:collection', collection);
}

export function quit() {
  wails()?.Quit();
}

/** Ctrl+Q quits and Ctrl+W closes the window (the same: it is the only one). */
export function isQuitKey(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && ['q', 'w'].includes(e.key.toLowerCase());
}

/**
 * Whether a drag may carry files. WebKitGTK lists files dragged in from
 * another application as text/uri-list, not as Files; a link dragged
 * within the page is told apart by its dragstart (see DesktopWindow).
 */
export function draggingFiles(e: DragEvent): boolean {
  const types = [...(e.dataTransfer?.types ?? [])];
  return types.includes('Files') || types.includes('text/uri-list');
}

/** One line for a drop's result. */
export function dropSummary(r: DropResult): string {
  const where = r.collection ? `“${r.collection}”` : 'the vault';
  if (r.error) return `Could not add to ${where}: ${r.error}`;
  const n = r.queued;
  let s = n ? `Adding ${n} file${n === 1 ? '' : 's'} to ${where}` : `Nothing to add to ${where}`;
  const notes: string[] = [];
  if (r.skipped) notes.push(`${r.skipped} skipped`);
  if (r.failed?.length) notes.push(`${r.failed.length} not found`);
  if (notes.length) s += ` (${notes.join(', ')})`;
  return s;
}
