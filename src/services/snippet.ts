// The `snippet` of a search result (SPEC §13): up to 200 characters of the content around the first
// match, HTML-escaped, with every matched word inside the window wrapped in <mark>…</mark>.

import { findMatches, tokenize, type SearchTerm } from '../db/search-query'

export const SNIPPET_CHARS = 200
/** Characters of context kept before the first match when the content is longer than the window. */
const LEAD = 60

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c])

/**
 * Characters are code points, so an emoji is never cut in half. The markers are the only markup in
 * the answer: everything from the content, the matched words included, is escaped. Content in
 * which no term is found (a tokenizer corner case) gives its first 200 characters, unmarked.
 */
export function buildSnippet(content: string, terms: SearchTerm[], max = SNIPPET_CHARS): string {
  const cps = Array.from(content)
  // UTF-16 offset → code point index (offsets at a surrogate's second half map to the next point).
  const at = new Int32Array(content.length + 1)
  for (let i = 0, cp = 0; i <= content.length; cp++) {
    at[i] = cp
    const step = i < content.length && content.codePointAt(i)! > 0xffff ? 2 : 1
    if (step === 2) at[i + 1] = cp + 1
    i += step
  }
  const spans = findMatches(content, terms).spans.map((s) => ({ start: at[s.start], end: at[s.end] }))
  let start = 0
  if (spans.length && cps.length > max) {
    const first = spans[0]
    start = Math.max(0, Math.min(first.start - LEAD, cps.length - max))
    // Begin on a word boundary when that still shows the match.
    while (start > 0 && start < first.start && isWordChar(cps[start - 1]) && isWordChar(cps[start])) start++
    while (start > 0 && start < first.start && /\s/u.test(cps[start])) start++
  }
  const end = Math.min(cps.length, start + max)
  let out = ''
  let pos = start
  for (const s of spans) {
    const a = Math.max(s.start, start)
    const b = Math.min(s.end, end)
    if (b <= a) continue
    out += escapeHtml(cps.slice(pos, a).join('')) + '<mark>' + escapeHtml(cps.slice(a, b).join('')) + '</mark>'
    pos = b
  }
  return out + escapeHtml(cps.slice(pos, end).join(''))
}

const isWordChar = (c: string) => tokenize(c).length > 0
