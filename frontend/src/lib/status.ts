// What the library says about each file, in the words a user reads.
import type { DocumentInfo, QueueItem } from './api';
import { clock } from './format';

export type FileState = 'queued' | 'extracting' | 'transcribing' | 'indexing' | 'waiting' | 'retrying' | 'removing' | 'done' | 'failed';

export function queueState(q: QueueItem): FileState {
  if (q.op === 'remove') return 'removing';
  if (q.state === 'waiting') return 'waiting';
  if (q.state === 'running') return q.stage ?? 'queued';
  return q.attempts > 0 ? 'retrying' : 'queued';
}

export function documentState(d: Pick<DocumentInfo, 'status'>): FileState {
  return d.status === 'failed' ? 'failed' : d.status === 'queued' ? 'queued' : 'done';
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
