// The search building blocks below the API: bun:sqlite has FTS5 (TOOLCHAIN §9), the query language
// parses as docs/search.md says, the JavaScript tokenizer agrees with FTS5's unicode61 (the snippet
// marks what the index matched), and snippets escape everything but their markers.

import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { findMatches, fold, fts5Expression, parseSearchQuery, tokenize, tsqueryText } from '../../src/db/search-query'
import { buildSnippet } from '../../src/services/snippet'

describe('bun:sqlite has FTS5', () => {
  test('compiled in, with the unicode61 tokenizer that removes diacritics', () => {
    const db = new Database(':memory:')
    const options = db.query<{ compile_options: string }, []>('PRAGMA compile_options').all().map((r) => r.compile_options)
    expect(options).toContain('ENABLE_FTS5')
    db.exec("CREATE VIRTUAL TABLE f USING fts5(body, tokenize = 'unicode61 remove_diacritics 2', content = '', contentless_delete = 1)")
    db.query('INSERT INTO f (rowid, body) VALUES (1, ?)').run('Un CAFÉ crème')
    expect(db.query("SELECT rowid FROM f WHERE f MATCH 'cafe creme'").all()).toEqual([{ rowid: 1 }])
    db.query('DELETE FROM f WHERE rowid = 1').run() // contentless_delete: what edits and deletes need
    expect(db.query("SELECT rowid FROM f WHERE f MATCH 'cafe'").all()).toEqual([])
    db.close()
  })
})

describe('the query language', () => {
  test('words, phrases, prefixes; parts with no word are dropped', () => {
    expect(parseSearchQuery('alpha  Beta')).toEqual([
      { tokens: ['alpha'], prefix: false },
      { tokens: ['Beta'], prefix: false },
    ])
    expect(parseSearchQuery('"quick brown" fo*')).toEqual([
      { tokens: ['quick', 'brown'], prefix: false },
      { tokens: ['fo'], prefix: true },
    ])
    expect(parseSearchQuery('"release no"* e-mail')).toEqual([
      { tokens: ['release', 'no'], prefix: true },
      { tokens: ['e', 'mail'], prefix: false },
    ])
    expect(parseSearchQuery('"unterminated phrase')).toEqual([{ tokens: ['unterminated', 'phrase'], prefix: false }])
    for (const q of ['*', '""', '" *', '!!! ---', '   ', 'AND OR'.replace(/\w/g, '-')]) expect(parseSearchQuery(q)).toEqual([])
    expect(parseSearchQuery('AND OR NOT')).toHaveLength(3) // no operators: words like any other
  })

  test('what reaches the databases cannot break out of quoting', () => {
    const terms = parseSearchQuery(`x" OR body:* NOT "y' & z:* | !w`)
    // x | "…" phrase up to the next quote (its * is inside, so no prefix) | y' | & | z:* | | | !w
    expect(fts5Expression(terms)).toBe('"x" AND "OR body NOT" AND "y" AND "z" * AND "w"')
    expect(tsqueryText(terms)).toBe(`'x' & ('OR' <-> 'body' <-> 'NOT') & 'y' & 'z':* & 'w'`)
  })
})

describe('the tokenizer agrees with FTS5 unicode61 remove_diacritics 2', () => {
  test('same folded tokens for a mix of scripts, punctuation, accents and case', () => {
    const db = new Database(':memory:')
    db.exec("CREATE VIRTUAL TABLE f USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
    db.exec("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    const texts = [
      'Hello, World! ÉCOLE naïve Straße İstanbul',
      'ops@example.com https://status.example.org/x?y=1 e-mail foo_bar 3.14 v1.2.3',
      'Ελληνικά Δέλτα, русский ТЕКСТ, 日本語のテキスト',
      "it's <b>bold</b> & \"quoted\" — dash…ellipsis",
      'emoji 👍ok 😀 tab\tnew\nline',
    ]
    texts.forEach((t, i) => db.query('INSERT INTO f (rowid, body) VALUES (?, ?)').run(i + 1, t))
    for (let i = 0; i < texts.length; i++) {
      const fts = db.query<{ term: string }, [number]>('SELECT term FROM v WHERE doc = ? ORDER BY offset').all(i + 1).map((r) => r.term)
      expect(tokenize(texts[i]).map(fold)).toEqual(fts)
    }
    db.close()
  })
})

describe('matches and snippets', () => {
  test('a phrase counts only in order; a prefix matches a word start', () => {
    const terms = parseSearchQuery('"brown fox" jump*')
    expect(findMatches('the quick brown fox jumps', terms)).toEqual({ spans: [{ start: 10, end: 19 }, { start: 20, end: 25 }], all: true })
    expect(findMatches('the fox brown fox jumps', terms).all).toBe(true)
    expect(findMatches('fox brown; high jump', terms).all).toBe(false)
  })

  test('everything is escaped but the markers; 200 code points at most; emoji are never cut', () => {
    const terms = parseSearchQuery('needle')
    expect(buildSnippet(`<a href="x">'needle'</a> & more`, terms)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;<mark>needle</mark>&#39;&lt;/a&gt; &amp; more')
    const long = `${'😀'.repeat(300)} needle ${'😀'.repeat(300)}`
    const s = buildSnippet(long, terms)
    const text = s.replace('<mark>', '').replace('</mark>', '')
    expect([...text].length).toBe(200)
    expect(text).not.toContain('\ufffd')
    expect(long).toContain(text)
    expect(s).toContain('<mark>needle</mark>')
    // No match found by the tokenizer (a corner case): the start of the content, unmarked.
    expect(buildSnippet('a'.repeat(250), terms)).toBe('a'.repeat(200))
  })
})
