// What the library says about each file, in the words a user reads.
import type { DocumentInfo, QueueItem } from './api';
import { clock } from './format';

export type FileState = 'queued' | 'extracting' | 'transcribing' | 'indexing' | 'waiting' | 'retrying' | 'removing' | 'done' | 'notext' | 'failed';

export function queueState(q: QueueItem): FileState {
  if (q.op === 'remove') return 'removing';
  if (q.state === 'waiting') return 'waiting';
  if (q.state === 'running') return q.stage ?? 'queued';
  return q.attempts > 0 ? 'retrying' : 'queued';
}

/**
 * A document's state. One indexed with no passages (a scan without OCR,
 * silence) is "notext": there is nothing to find in it, and its error says why.
 */
export function documentState(d: Pick<DocumentInfo, 'status'> & { chunks?: number | unknown[] }): FileState {
  if (d.status === 'failed') return 'failed';
  if (d.status === 'queued') return 'queued';
  const n = Array.isArray(d.chunks) ? d.chunks.length : d.chunks;
  return n === 0 ? 'notext' : 'done';
}

/** Why a document is failed or empty, in a user's words. */
export function stateReason(d: Pick<DocumentInfo, 'status' | 'error'> & { chunks?: number | unknown[] }): string {
  const st = documentState(d);
  if (st === 'notext') return d.error || 'no text was found in this file';
  return st === 'failed' ? (d.error ?? '') : '';
}

const labels: Record<FileState, string> = {
  queued: 'Queued',
  extracting: 'Extracting text',
  transcribing: 'Transcribing',
  indexing: 'Indexing',
  waiting: 'Waiting',
  retrying: 'Retrying',
  removing: 'Removing',
  done: 'Done',
  notext: 'No text',
  failed: 'Failed',
};

export function stateLabel(s: FileState): string {
  return labels[s];
}

/** Why a queued file is where it is, with when it is tried again. */
export function queueNote(q: QueueItem, now = Date.now()): string {
  let note = q.reason ?? '';
  // The server's reason names the command line; in the app the place to
  // set an engine up is Settings.
  if (q.state === 'waiting' && note.startsWith('waiting for a transcription engine')) {
    note = 'waiting for transcription: set it up in Settings';
  }
  if (q.progress && q.progress.total_ms > 0) {
    note += `${note ? ' — ' : ''}${clock(q.progress.done_ms)} of ${clock(q.progress.total_ms)} transcribed`;
  }
  if (q.not_before && q.state === 'pending') {
    const secs = Math.max(0, Math.round((Date.parse(q.not_before) - now) / 1000));
    note += `${note ? ' — ' : ''}next try in ${secs} s (attempt ${q.attempts + 1})`;
  }
  return note;
}

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * Whether a title from a file's metadata says nothing about it: empty, a
 * file name ("loremipsum.jpg" on a PDF), or a printer driver's label
 * ("Microsoft Word - report.docx").
 */
export function junkTitle(title: string | undefined): boolean {
  const t = (title ?? '').trim();
  // An extension: a dot, then two to five letters or digits, the first a letter.
  return !t || /^microsoft \w+ - /i.test(t) || /\.[a-z][a-z0-9]{1,4}$/i.test(t);
}

/** The title a document is shown by: its own, or its file's name when that title is junk. */
export function displayTitle(d: Pick<DocumentInfo, 'title' | 'paths'>): string {
  return junkTitle(d.title) ? fileName(d.paths?.[0] ?? '') || d.title || 'Untitled' : d.title;
}

const types: [RegExp, string][] = [
  [/^application\/pdf$/, 'PDF'],
  [/wordprocessingml|msword/, 'Word'],
  [/opendocument\.text/, 'OpenDocument'],
  [/epub/, 'EPUB'],
  [/^text\/markdown$/, 'Markdown'],
  [/^text\/html$|xhtml/, 'HTML'],
  [/^text\/csv$/, 'CSV'],
  [/json/, 'JSON'],
  [/^text\//, 'Text'],
  [/^audio\//, 'Audio'],
  [/^video\//, 'Video'],
  [/^image\//, 'Image'],
];

/** A document's kind in a word (PDF, Word, Markdown, Audio…). */
export function typeLabel(mediaType: string, path = ''): string {
  for (const [re, label] of types) if (re.test(mediaType)) return label;
  const ext = fileName(path).split('.').pop();
  return ext && ext !== fileName(path) ? ext.toUpperCase() : mediaType || '—';
}

/** What the status line says while the background watch retries after a
 * failure (the database locked, the disk full); "" while it follows changes. */
export function watchTrouble(s: { watch?: { running: boolean; retrying?: boolean; message?: string } } | null): string {
  const w = s?.watch;
  return w?.running && w.retrying ? `Watching paused, ${w.message ?? 'retrying'}` : '';
}
