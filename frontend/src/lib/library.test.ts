// The Library's words: titles that say nothing, kinds, states, what an
// upload came to.
import { describe, expect, it } from 'vitest';
import { displayTitle, documentState, junkTitle, stateLabel, stateReason, typeLabel } from './status';
import { settled, uploadSummary } from './uploads';
import type { Outcome } from './api';

describe('titles', () => {
  it.each([
    ['Microsoft Word - font-size-test.docx', true],
    ['Microsoft PowerPoint - deck', true],
    ['loremipsum.jpg', true],
    ['scan_0042.TIFF', true],
    ['', true],
    ['   ', true],
    ['Unstructured-test-doc', false],
    ['Annual report 2025', false],
    ['Version 2.0 notes', false],
    ['Dr. Smith’s letter', false],
  ])('%j is junk: %s', (t, want) => expect(junkTitle(t)).toBe(want));

  it('shows the file name for a junk title', () => {
    expect(displayTitle({ title: 'loremipsum.jpg', paths: ['/v/uploads/loremipsum-flat.pdf'] })).toBe('loremipsum-flat.pdf');
    expect(displayTitle({ title: 'Microsoft Word - font-size-test.docx', paths: ['/a/font-size-test.pdf'] })).toBe('font-size-test.pdf');
    expect(displayTitle({ title: 'Tea', paths: ['/a/tea.md'] })).toBe('Tea');
    expect(displayTitle({ title: '', paths: [] })).toBe('Untitled');
  });
});

describe('kinds', () => {
  it.each([
    ['application/pdf', 'a.pdf', 'PDF'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'a.docx', 'Word'],
    ['text/markdown', 'a.md', 'Markdown'],
    ['text/plain', 'a.txt', 'Text'],
    ['audio/wav', 'a.wav', 'Audio'],
    ['application/x-unknown', 'data.xyz', 'XYZ'],
    ['', 'noext', '—'],
  ])('%s is %s', (mt, path, want) => expect(typeLabel(mt, path)).toBe(want));
});

describe('document states', () => {
  it('a document with no text warns, with the reason', () => {
    const d = { status: 'indexed' as const, chunks: 0, error: 'no text layer; OCR needed: OCR found no text either' };
    expect(documentState(d)).toBe('notext');
    expect(stateLabel('notext')).toBe('No text');
    expect(stateReason(d)).toBe(d.error);
    expect(stateReason({ status: 'indexed', chunks: [] })).toBe('no text was found in this file');
    expect(documentState({ status: 'indexed', chunks: 4 })).toBe('done');
    expect(stateReason({ status: 'indexed', chunks: 4 })).toBe('');
    expect(documentState({ status: 'failed', chunks: 0 })).toBe('failed');
  });
});

describe('upload summary', () => {
  const o = (outcome: Outcome['outcome'], path: string, reason?: string): Outcome => ({ path, outcome, reason });
  it('names what was added, unchanged, duplicate and failed in one line', () => {
    const out = [o('indexed', '/u/a.pdf'), o('indexed', '/u/b.md'), o('unchanged', '/u/c.md'), o('linked', '/u/a (2).pdf'), o('failed', '/u/bad.pdf', 'not a PDF')];
    const s = uploadSummary(out, [{ path: 'huge.iso', reason: 'too large' }]);
    expect(s.text).toBe('2 files added · 1 unchanged · 1 duplicate of what the vault holds · 2 failed');
    expect(s.failed).toEqual([
      { name: 'huge.iso', reason: 'too large' },
      { name: 'bad.pdf', reason: 'not a PDF' },
    ]);
  });
  it('waiting and retrying files are settled, and said', () => {
    const out = [o('waiting', '/u/memo.wav'), o('retrying', '/u/locked.docx', 'busy')];
    expect(settled(out)).toBe(true);
    expect(uploadSummary(out).text).toBe('1 waiting for transcription · 1 to be tried again');
    expect(settled([o('indexed', '/a'), o('pending', '/b')])).toBe(false);
    expect(uploadSummary([]).text).toBe('Nothing was added');
  });
});
