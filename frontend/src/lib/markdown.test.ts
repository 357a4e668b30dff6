// @vitest-environment jsdom
// Answers rendered as Markdown, cleaned: nothing that could run or style
// the page gets through, citation markers link to their passages.
import { describe, expect, it } from 'vitest';
import { isNothingFound, renderAnswer } from './markdown';
import type { Citation } from './api';

const cite: Citation = { n: 1, doc_id: 7, chunk_id: 3, title: 'Tea "guide"', path: '/v/tea.md', page: 2, page_end: 2, text: 'Green tea…' };
const link = (c: Citation) => `#/doc/${c.doc_id}?page=${c.page}&chunk=${c.chunk_id}`;

describe('answers as Markdown', () => {
  it('renders lists, emphasis and code', () => {
    const html = renderAnswer('Two kinds:\n\n- **green**\n- *black*\n\n`brew --hot`', [], link);
    expect(html).toContain('<li><strong>green</strong></li>');
    expect(html).toContain('<em>black</em>');
    expect(html).toContain('<code>brew --hot</code>');
  });
  it('links citation markers to their passages', () => {
    const html = renderAnswer('Steamed leaves [1]. Unknown [9].', [cite], link);
    expect(html).toContain('<a href="#/doc/7?page=2&amp;chunk=3" title="Tea guide">[1]</a>');
    expect(html).toContain('Unknown [9].');
  });
  it.each([
    ['<script>alert(1)</script>hi', '<script'],
    ['<img src=x onerror=alert(1)>', 'onerror'],
    ['<p style="color:red">red</p>', 'style='],
    ['[x](javascript:alert(1))', 'javascript:'],
    ['<a href="data:text/html,hi">d</a>', 'data:'],
    ['<iframe src="https://example.com"></iframe>', '<iframe'],
  ])('drops %s', (md, bad) => {
    expect(renderAnswer(md, [], link).toLowerCase()).not.toContain(bad);
  });
  it('opens outside links in a new tab', () => {
    expect(renderAnswer('[docs](https://example.com/x)', [], link)).toContain('target="_blank" rel="noopener noreferrer"');
  });
  it('knows the answer that found nothing', () => {
    expect(isNothingFound('I found nothing in your vault about that. The closest documents: A; B.')).toBe(true);
    expect(isNothingFound('Green tea is steamed.')).toBe(false);
  });
});
