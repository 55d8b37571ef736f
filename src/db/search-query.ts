// The search query language of SPEC §13 (words ANDed, "a phrase", a trailing * for a prefix) and
// what both stores and the snippet builder need from it: the parsed terms, the FTS5 expression,
// the PostgreSQL tsquery text, and a matcher that finds the terms in a message's content.
//
// One tokenizer for everything: a token is a run of letters, digits and private-use characters
// (Unicode L*, N*, Co), which is what SQLite's unicode61 tokenizer keeps by default and what
// PostgreSQL's [[:alnum:]] keeps under a UTF-8 locale; everything else separates tokens. Tokens
// compare folded: lower case, Latin diacritics removed (é → e, but Greek and Cyrillic keep theirs),
// as unicode61 remove_diacritics 2 does (test/unit/search-query.test.ts compares the two).

import type { PageRow } from './rows'

export interface SearchTerm {
  /** Tokens as typed (not folded); more than one means "these words in this order". */
  tokens: string[]
  /** The last token matches any word it begins. */
  prefix: boolean
}

export const MAX_QUERY_CHARS = 256

/** What a store is asked (the service checked the input, the feature switch and room access). */
export interface SearchRequest {
  tenantId: string
  userId: string
  terms: SearchTerm[]
  /** One room only (the service checked that the caller is a member). */
  roomId?: string
  senderId?: string
  limit: number
  cursor?: string
}

/** One page of results, newest first; next_cursor null on the last page. */
export interface SearchPage {
  rows: PageRow[]
  next_cursor: string | null
}

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu
/** Combining diacritics after a Latin letter: unicode61 remove_diacritics folds Latin script only. */
const LATIN_DIACRITICS = /(\p{Script=Latin})[\u0300-\u036f]+/gu

export const fold = (token: string) => token.toLowerCase().normalize('NFD').replace(LATIN_DIACRITICS, '$1').normalize('NFC')

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? []
}

/**
 * Parses `q` into terms. Quoted text is one phrase (an unterminated quote runs to the end); a `*`
 * right after a word or a closing quote makes its last token a prefix. Words with inner punctuation
 * ("e-mail") are phrases of their tokens. Parts with no token (a lone `*`, `""`, `!!!`) are dropped;
 * returns [] when nothing is left (the caller answers 400 on `q`).
 */
export function parseSearchQuery(q: string): SearchTerm[] {
  const terms: SearchTerm[] = []
  let i = 0
  while (i < q.length) {
    const c = q[i]
    if (/\s/u.test(c)) {
      i++
      continue
    }
    let text: string
    let prefix = false
    if (c === '"') {
      let end = q.indexOf('"', i + 1)
      if (end === -1) end = q.length
      text = q.slice(i + 1, end)
      i = end + 1
      if (q[i] === '*') {
        prefix = true
        i++
      }
    } else {
      let end = i
      while (end < q.length && q[end] !== '"' && !/\s/u.test(q[end])) end++
      text = q.slice(i, end)
      i = end
      prefix = text.endsWith('*')
    }
    const tokens = tokenize(text)
    if (tokens.length) terms.push({ tokens, prefix })
  }
  return terms
}

/** The FTS5 expression of the terms: each a quoted phrase (tokens hold no quote), ANDed. */
export function fts5Expression(terms: SearchTerm[]): string {
  return terms.map((t) => `"${t.tokens.join(' ')}"${t.prefix ? ' *' : ''}`).join(' AND ')
}

/**
 * The tsquery text of the terms (for to_tsquery('simple', …)): tokens quoted, phrases with <->,
 * a prefix as :*, terms with &. Tokens hold only letters and digits, so quoting cannot be broken.
 */
export function tsqueryText(terms: SearchTerm[]): string {
  return terms
    .map((t) => {
      const words = t.tokens.map((w) => `'${w}'`)
      if (t.prefix) words[words.length - 1] += ':*'
      return words.length > 1 ? `(${words.join(' <-> ')})` : words[0]
    })
    .join(' & ')
}

export interface Span {
  start: number
  end: number
}

/**
 * Where the terms occur in `content` (UTF-16 offsets, sorted, merged), and whether every term
 * occurs at least once. A phrase counts only where its tokens follow each other.
 */
export function findMatches(content: string, terms: SearchTerm[]): { spans: Span[]; all: boolean } {
  const toks: { start: number; end: number; norm: string }[] = []
  for (const m of content.matchAll(TOKEN)) toks.push({ start: m.index, end: m.index + m[0].length, norm: fold(m[0]) })
  const spans: Span[] = []
  let all = true
  for (const term of terms) {
    const want = term.tokens.map(fold)
    const last = want.length - 1
    let found = false
    for (let i = 0; i + last < toks.length; i++) {
      let ok = true
      for (let j = 0; j <= last && ok; j++) {
        const have = toks[i + j].norm
        ok = j === last && term.prefix ? have.startsWith(want[j]) : have === want[j]
      }
      if (ok) {
        found = true
        spans.push({ start: toks[i].start, end: toks[i + last].end })
      }
    }
    if (!found) all = false
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end)
  const merged: Span[] = []
  for (const s of spans) {
    const prev = merged[merged.length - 1]
    if (prev && s.start <= prev.end) prev.end = Math.max(prev.end, s.end)
    else merged.push({ ...s })
  }
  return { spans: merged, all }
}
