// The tenant blocklist (SPEC §14): up to 1,000 literal terms matched case-insensitively after Unicode
// NFKC normalisation, as whole words where a term begins or ends with a word character. Terms are
// never regular expressions (a pattern from a tenant could backtrack for seconds and hold every
// other tenant's sends): they go into one Aho-Corasick automaton, so a message is scanned once,
// whatever the number of terms, and the cost is linear in its length.

/** A letter, digit, combining mark or underscore: what a whole-word match may not touch. */
const WORD = /[\p{L}\p{N}\p{M}_]/u
const ASCII = /^[\x00-\x7f]*$/
/**
 * Cells of the transition table (Int32): 4 MiB at most per list. A list of 1,000 plain words needs
 * well under one (~8,000 states × ~40 characters); a larger one walks the goto maps instead.
 */
const MAX_TABLE = 1_000_000
/** Distinct compiled blocklists kept in memory (createBlocklistCache). */
const MAX_COMPILED = 256

/** Case-insensitive comparison form: NFKC, then lower case (once per message, once per term). */
export const fold = (s: string) => s.normalize('NFKC').toLowerCase()

interface Term {
  length: number
  /** A match must not be preceded / followed by a word character. */
  wordStart: boolean
  wordEnd: boolean
}

export interface Match {
  start: number
  end: number
}

/** The automaton over UTF-16 code units of folded text: goto edges, failure links, outputs. */
export interface Matcher {
  /** Matches in `folded` text, leftmost first, overlapping ones dropped; stops at the first when `first`. */
  scan(folded: string, first: boolean): Match[]
  readonly size: number
}

const isWordAt = (s: string, i: number) => {
  if (i < 0 || i >= s.length) return false
  // A low surrogate belongs to the code point that starts one unit earlier.
  const lo = s.charCodeAt(i)
  const at = lo >= 0xdc00 && lo <= 0xdfff && i > 0 ? i - 1 : i
  return WORD.test(String.fromCodePoint(s.codePointAt(at)!))
}

/** `maxTable` caps the transition table (tests set 0 to exercise the goto maps). */
export function compileBlocklist(rawTerms: readonly string[], maxTable = MAX_TABLE): Matcher {
  const next: Map<number, number>[] = [new Map()]
  const fail: number[] = [0]
  const out: number[][] = [[]]
  const terms: Term[] = []
  for (const raw of new Set(rawTerms.map(fold))) {
    if (!raw) continue
    let node = 0
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i)
      let to = next[node].get(c)
      if (to === undefined) {
        to = next.length
        next.push(new Map())
        fail.push(0)
        out.push([])
        next[node].set(c, to)
      }
      node = to
    }
    out[node].push(terms.length)
    terms.push({ length: raw.length, wordStart: isWordAt(raw, 0), wordEnd: isWordAt(raw, raw.length - 1) })
  }
  // Breadth-first failure links; each node's outputs include those of its failure chain.
  const queue: number[] = [...next[0].values()]
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]
    for (const [c, child] of next[node]) {
      let f = fail[node]
      while (f !== 0 && !next[f].has(c)) f = fail[f]
      const to = next[f].get(c)
      fail[child] = to !== undefined && to !== child ? to : 0
      if (out[fail[child]].length) out[child] = out[child].concat(out[fail[child]])
      queue.push(child)
    }
  }

  // The automaton as a table (a DFA) over the characters the terms use: one array read per
  // character of a message, no failure chain walked. Characters no term uses are one symbol (0).
  // A list whose table would pass MAX_TABLE cells (thousands of distinct characters, say CJK terms)
  // keeps the goto maps and walks failure links instead: still one pass, a little slower.
  const symbols = new Map<number, number>()
  for (const edges of next) for (const c of edges.keys()) if (!symbols.has(c)) symbols.set(c, symbols.size + 1)
  const width = symbols.size + 1
  let symOf: Uint16Array | null = null
  let table: Int32Array | null = null
  if (next.length * width <= maxTable) {
    symOf = new Uint16Array(65536)
    for (const [c, sym] of symbols) symOf[c] = sym
    table = new Int32Array(next.length * width)
    for (const [c, child] of next[0]) table[symbols.get(c)!] = child
    for (const node of queue) {
      const row = node * width
      const failRow = fail[node] * width
      for (let sym = 0; sym < width; sym++) table[row + sym] = table[failRow + sym]
      for (const [c, child] of next[node]) table[row + symbols.get(c)!] = child
    }
  }
  const hasOut = Uint8Array.from(out, (o) => (o.length ? 1 : 0))
  /** One step without the table: follow failure links until an edge for `c` (or the root). */
  const walk = (node: number, c: number): number => {
    let to = next[node].get(c)
    while (to === undefined && node !== 0) {
      node = fail[node]
      to = next[node].get(c)
    }
    return to ?? 0
  }

  return {
    size: terms.length,
    scan(text: string, first: boolean): Match[] {
      const found: Match[] = []
      if (!terms.length) return found
      let node = 0
      for (let i = 0; i < text.length; i++) {
        node = table ? table[node * width + symOf![text.charCodeAt(i)]] : walk(node, text.charCodeAt(i))
        if (!hasOut[node]) continue
        for (const t of out[node]) {
          const term = terms[t]
          const start = i + 1 - term.length
          if (term.wordStart && isWordAt(text, start - 1)) continue
          if (term.wordEnd && isWordAt(text, i + 1)) continue
          found.push({ start, end: i + 1 })
          if (first) return found
        }
      }
      // Leftmost, then longest; a match inside or across an earlier one adds nothing to a mask.
      found.sort((a, b) => a.start - b.start || b.end - a.end)
      const kept: Match[] = []
      for (const m of found) if (!kept.length || m.start >= kept[kept.length - 1].end) kept.push(m)
      return kept
    },
  }
}

/**
 * Replaces every blocked term in `content` with `*`, one per character of the original text (so
 * `ＢＡＤ` becomes `***`). Positions in the folded text are mapped back to the original through a
 * per-cluster fold (a base character with its combining marks), which agrees with the
 * whole-message fold except around rare compositions across clusters; if the two disagree, the
 * folded text itself is masked and stored.
 */
export function maskBlocked(matcher: Matcher, content: string, folded: string, matches: Match[]): string {
  if (ASCII.test(content)) return starred(content, matches)
  const clusters = content.match(/\P{M}\p{M}*|\p{M}+/gu) ?? []
  let text = ''
  const startOf: number[] = [] // folded index → original index of its cluster
  const endOf: number[] = []
  let at = 0
  for (const cl of clusters) {
    const f = fold(cl)
    for (let k = 0; k < f.length; k++) {
      startOf.push(at)
      endOf.push(at + cl.length)
    }
    text += f
    at += cl.length
  }
  const mapped = matcher.scan(text, false)
  if (!mapped.length) return starred(folded, matches)
  return starred(content, mapped.map((m) => ({ start: startOf[m.start], end: endOf[m.end - 1] })))
}

/** `s` with each matched range replaced by one `*` per code point. */
function starred(s: string, matches: Match[]): string {
  let outText = ''
  let pos = 0
  for (const m of matches) {
    if (m.start < pos) continue
    outText += s.slice(pos, m.start) + '*'.repeat([...s.slice(m.start, m.end)].length)
    pos = m.end
  }
  return outText + s.slice(pos)
}

/**
 * One compiled matcher per distinct blocklist. A send finds it by the config's terms array (a
 * WeakMap hit: no work per message); the copies of one tenant's config (the key cache, token
 * verification, open sockets each hold one) share it through its text. Bounded: at most
 * MAX_COMPILED distinct lists are kept (the oldest goes first).
 */
export function createBlocklistCache(max = MAX_COMPILED) {
  const byArray = new WeakMap<readonly string[], Matcher>()
  const byText = new Map<string, Matcher>()
  return (terms: readonly string[]): Matcher => {
    let m = byArray.get(terms)
    if (m) return m
    const text = terms.join('\u0000')
    m = byText.get(text)
    if (!m) {
      m = compileBlocklist(terms)
      if (byText.size >= max) byText.delete(byText.keys().next().value!)
      byText.set(text, m)
    }
    byArray.set(terms, m)
    return m
  }
}
