// Finds a cited passage among a PDF page's words, to mark it on the drawn
// page. The passage is Hoard's text of the page (joined across line breaks
// and hyphens), the words are where pdftotext found them: they are matched
// as runs of consecutive words, so a word the passage shares with the rest
// of the page by chance is not marked.

/** A word as compared: lower case, letters and digits only. */
export function normWord(w: string): string {
  return w.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

function tokens(text: string): string[] {
  return text.split(/\s+/).map(normWord).filter((w) => w !== '');
}

/**
 * The indexes of the page's words that belong to the passage: words in runs
 * of at least n in the passage's order, kept where they form one region (a
 * passage is contiguous on its page) or are long runs of their own.
 */
export function markedWords(page: string[], passage: string, n = 3): Set<number> {
  const p = tokens(passage);
  const out = new Set<number>();
  if (p.length === 0 || page.length === 0) return out;
  const k = Math.min(n, p.length);
  const grams = new Set<string>();
  for (let i = 0; i + k <= p.length; i++) grams.add(p.slice(i, i + k).join(' '));

  // The page's words that compare at all, with their indexes.
  const idx: number[] = [];
  const w: string[] = [];
  page.forEach((word, i) => {
    const t = normWord(word);
    if (t) {
      idx.push(i);
      w.push(t);
    }
  });
  const hit = new Array<boolean>(w.length).fill(false);
  for (let i = 0; i + k <= w.length; i++) {
    if (grams.has(w.slice(i, i + k).join(' '))) for (let j = i; j < i + k; j++) hit[j] = true;
  }
  // One word between two marked ones (a hyphenated break, a footnote sign)
  // is part of the passage.
  for (let i = 1; i + 1 < w.length; i++) if (!hit[i] && hit[i - 1] && hit[i + 1]) hit[i] = true;

  // Runs of marked words, then the region around the longest one.
  const runs: [number, number][] = [];
  for (let i = 0; i < w.length; ) {
    if (!hit[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < w.length && hit[j]) j++;
    runs.push([i, j]);
    i = j;
  }
  if (runs.length === 0) return out;
  const longest = runs.reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a));
  let [lo, hi] = longest;
  // Words the two texts spell differently (ligatures, footnote signs) leave
  // gaps of a word or two inside the passage; a longer gap is other text.
  const gap = 3;
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of runs) {
      if ((a < lo && b >= lo - gap) || (b > hi && a <= hi + gap)) {
        if (a < lo || b > hi) grew = true;
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
    }
  }
  for (const [a, b] of runs) {
    if ((a >= lo && b <= hi) || b - a >= 8) for (let i = a; i < b; i++) out.add(idx[i]);
  }
  return out;
}
