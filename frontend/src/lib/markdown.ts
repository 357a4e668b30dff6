// Answers are Markdown (a model writes lists, emphasis, code). They are
// rendered by marked and cleaned by DOMPurify: no scripts, no style
// attributes (the page's content security policy allows neither), no
// links out of the app but plain http(s) ones, which open in a new tab.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import type { Citation } from './api';

const md = new Marked({ gfm: true, breaks: true, async: false });

let hooked = false;
function purify(): typeof DOMPurify {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && /^https?:/i.test(node.getAttribute('href') ?? '')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
  }
  return DOMPurify;
}

/**
 * The answer as safe HTML; each citation marker [n] becomes a link to the
 * passage it cites (link gives its address).
 */
export function renderAnswer(text: string, citations: Citation[] | null | undefined, link: (c: Citation) => string): string {
  const byN = new Map((citations ?? []).map((c) => [c.n, c]));
  // [n] not followed by ( or [ (already a Markdown link) becomes a link.
  const marked = text.replace(/\[(\d{1,3})\](?![([:])/g, (all, n: string) => {
    const c = byN.get(Number(n));
    return c ? `[\\[${n}\\]](${link(c)} "${c.title.replace(/["\\]/g, '')}")` : all;
  });
  const html = md.parse(marked) as string;
  return purify().sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'img'],
    FORBID_ATTR: ['style', 'class', 'id'],
    ALLOWED_URI_REGEXP: /^(?:https?:|#)/i,
  });
}

/** The answer that says the vault holds nothing on the question (answer.NothingFound). */
export const nothingFound = 'I found nothing in your vault about that.';

export function isNothingFound(text: string): boolean {
  return text.startsWith(nothingFound);
}
