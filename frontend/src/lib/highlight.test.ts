import { describe, expect, it } from 'vitest';
import { markedWords, normWord } from './highlight';

const words = (s: string) => s.split(' ');

describe('markedWords', () => {
  it('marks the passage where it sits on the page', () => {
    const page = words('Chapter 2 Setup. The server reads its configuration at start. Other text follows here and the server reads nothing else.');
    const got = [...markedWords(page, 'The server reads its configuration\nat start.')].sort((a, b) => a - b);
    expect(got.map((i) => page[i])).toEqual(words('The server reads its configuration at start.'));
  });

  it('does not mark a chance phrase far from the passage', () => {
    const page = words('of the data one two three four five six seven eight nine ten eleven twelve alpha beta gamma of the data delta epsilon zeta eta theta');
    const got = markedWords(page, 'alpha beta gamma of the data delta epsilon');
    expect(got.has(0)).toBe(false);
    expect(got.has(page.indexOf('alpha'))).toBe(true);
    expect(got.has(page.lastIndexOf('epsilon'))).toBe(true);
  });

  it('bridges a hyphenated break and ignores case and punctuation', () => {
    const page = words('We store the infor- mation in ONE file, always.');
    const got = markedWords(page, 'we store the information in one file always');
    for (const w of ['We', 'store', 'the', 'in', 'ONE', 'file,', 'always.']) expect(got.has(page.indexOf(w))).toBe(true);
  });

  it('marks nothing for a passage from another page', () => {
    expect(markedWords(words('nothing in common here at all'), 'a passage about vacuum freeze').size).toBe(0);
    expect(markedWords([], 'x').size).toBe(0);
    expect(markedWords(words('a b'), '').size).toBe(0);
  });

  it('compares words by letters and digits', () => {
    expect(normWord('“Café,”')).toBe('café');
    expect(normWord('—')).toBe('');
  });
});
