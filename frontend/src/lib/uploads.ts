// What an upload came to, once the queue is done with its files: one
// summary naming what was added, unchanged, a duplicate, and what failed.
import type { Outcome } from './api';
import { fileName } from './status';

export interface UploadSummary {
  text: string;
  /** Files that failed (refused by the upload, or by indexing), with why. */
  failed: { name: string; reason: string }[];
  /** Files still waiting (for a transcription engine) or to be tried again. */
  later: { name: string; reason: string }[];
}

/** Whether every file has an outcome (waiting and retrying count: they are up to something else now). */
export function settled(outcomes: Outcome[]): boolean {
  return outcomes.every((o) => o.outcome !== 'pending');
}

export function uploadSummary(outcomes: Outcome[], refused: { path: string; reason: string }[] = []): UploadSummary {
  const count = (k: Outcome['outcome']) => outcomes.filter((o) => o.outcome === k).length;
  const failed = [...refused.map((f) => ({ name: fileName(f.path), reason: f.reason })), ...outcomes.filter((o) => o.outcome === 'failed').map((o) => ({ name: fileName(o.path), reason: o.reason ?? '' }))];
  const later = outcomes.filter((o) => o.outcome === 'waiting' || o.outcome === 'retrying').map((o) => ({ name: fileName(o.path), reason: o.reason ?? '' }));
  const parts: string[] = [];
  const added = count('indexed');
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  if (added) parts.push(`${n(added, 'file')} added`);
  if (count('unchanged')) parts.push(`${count('unchanged')} unchanged`);
  if (count('linked')) parts.push(`${n(count('linked'), 'duplicate')} of what the vault holds`);
  if (failed.length) parts.push(`${failed.length} failed`);
  if (count('waiting')) parts.push(`${count('waiting')} waiting for transcription`);
  if (count('retrying')) parts.push(`${count('retrying')} to be tried again`);
  return { text: parts.length ? parts.join(' · ') : 'Nothing was added', failed, later };
}
