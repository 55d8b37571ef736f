// The blocklist matcher (services/blocklist.ts): the Aho-Corasick scan finds exactly what a naive
// search for every term finds (property test), with whole-word rules, folding and masking.

import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { compileBlocklist, createBlocklistCache, fold, maskBlocked } from '../../src/services/blocklist'

const WORD = /[\p{L}\p{N}\p{M}_]/u
const wordAt = (s: string, i: number) => i >= 0 && i < s.length && WORD.test(String.fromCodePoint(s.codePointAt(i > 0 && /[\udc00-\udfff]/.test(s[i]) ? i - 1 : i)!))

/** Every (start, end) where a folded term occurs with its whole-word ends respected: the reference. */
function naive(terms: string[], text: string): [number, number][] {
  const out: [number, number][] = []
  for (const raw of new Set(terms.map(fold))) {
    if (!raw) continue
    for (let i = text.indexOf(raw); i !== -1; i = text.indexOf(raw, i + 1)) {
      const end = i + raw.length
      if (wordAt(raw, 0) && wordAt(text, i - 1)) continue
      if (wordAt(raw, raw.length - 1) && wordAt(text, end)) continue
      out.push([i, end])
    }
  }
  return out
}

/** What scan keeps of all matches: leftmost, then longest, no overlap. */
function keep(all: [number, number][]): [number, number][] {
  const sorted = [...all].sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const kept: [number, number][] = []
  for (const m of sorted) if (!kept.length || m[0] >= kept[kept.length - 1][1]) kept.push(m)
  return kept
}

describe('scan', () => {
  test('overlapping terms and outputs reached through failure links (he, she, his, hers)', () => {
    const m = compileBlocklist(['he', 'she', 'his', 'hers'])
    // Without word boundaries nothing would be refused inside words; these terms are words, so only whole words match.
    expect(m.scan('ushers', false)).toEqual([])
    expect(m.scan('she said hers', false)).toEqual([{ start: 0, end: 3 }, { start: 9, end: 13 }])
    const sub = compileBlocklist(['$he', 'he$'])
    expect(sub.scan('x$he$', false)).toEqual([{ start: 1, end: 4 }])
  })

  test.each([
    ['the transition table', undefined],
    ['the goto maps (a list too large for a table)', 0],
  ])('agrees with a naive search on random terms and texts (punctuation, non-ASCII): %s', (_, maxTable) => {
    const alphabet = fc.constantFrom('a', 'b', 'c', ' ', '.', '-', 'é', 'Ｂ', '😀', '_')
    const str = (min: number, max: number) => fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(''))
    fc.assert(
      fc.property(fc.array(str(1, 4), { minLength: 1, maxLength: 8 }), str(0, 40), (terms, text) => {
        const folded = fold(text)
        const m = compileBlocklist(terms, maxTable)
        const got = m.scan(folded, false).map((x) => [x.start, x.end] as [number, number])
        expect(got).toEqual(keep(naive(terms, folded)))
        expect(m.scan(folded, true).length).toBe(got.length ? 1 : 0)
      }),
      { numRuns: 2000 },
    )
  })

  test('no terms, or terms that fold to nothing, match nothing', () => {
    expect(compileBlocklist([]).scan('anything', false)).toEqual([])
    expect(compileBlocklist([]).size).toBe(0)
  })
})

describe('fold and mask', () => {
  test('NFKC then lower case: compatibility forms and case meet', () => {
    expect(fold('ＢＡＤ ﬁle ⓑ Ⅻ')).toBe('bad file b xii')
  })

  test('masking keeps the original text around each match and stars one per original character', () => {
    const m = compileBlocklist(['bad', 'file'])
    const mask = (s: string) => maskBlocked(m, s, fold(s), m.scan(fold(s), false))
    expect(mask('so bad')).toBe('so ***')
    expect(mask('ＢＡＤ news, Bad day')).toBe('*** news, *** day')
    expect(mask('the ﬁle')).toBe('the ***') // three characters (ﬁ, l, e) stand for "file"
    expect(mask('é bad é')).toBe('é *** é')
    expect(mask('no match')).toBe('no match')
  })
})

describe('the compiled-list cache', () => {
  test('copies of one list share one matcher; a distinct list gets its own; the oldest goes past the bound', () => {
    const cache = createBlocklistCache(2)
    const a = cache(['x', 'y'])
    expect(cache(['x', 'y'])).toBe(a) // another array with the same terms (another copy of the config)
    const b = cache(['z'])
    expect(b).not.toBe(a)
    cache(['w']) // a third distinct list: ['x', 'y'] is dropped from the text index
    expect(cache(['x', 'y'])).not.toBe(a)
    const same = ['q']
    expect(cache(same)).toBe(cache(same))
  })
})
