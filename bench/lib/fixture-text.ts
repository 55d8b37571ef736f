// What the benches' bulk-written databases share (search-seed.ts for the search bench, bigdb.ts for
// big-db): a seeded PRNG so every run writes the same text, a Zipf-like vocabulary to write it from,
// and the search index file built as `chatapi search rebuild` builds it.

import type { Database } from 'bun:sqlite'
import { createSearchIndex } from '../../src/db/sqlite/search-index'
import { openIndexDb, removeIndexFiles, searchIndexPath } from '../../src/db/sqlite/search-file'

/** mulberry32: a small seeded PRNG, so every run builds the same database. */
export function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu', 'be', 'fi', 'ho', 'ja', 'qu', 'wy', 'xe', 'co']

/**
 * 20,000 words, most frequent first, and a draw from them with `rnd`: a word's frequency falls with
 * its rank (Zipf-like), so "common" words are in a good share of the messages and "rare" ones in a few.
 */
export function vocabulary(rnd: () => number): { vocab: string[]; word: () => string } {
  const vocab = Array.from({ length: 20_000 }, (_, i) => {
    let w = ''
    for (let n = i + 7; w.length < 4 || n > 0; n = Math.floor(n / SYLLABLES.length)) w += SYLLABLES[n % SYLLABLES.length]
    return w
  })
  return { vocab, word: () => vocab[Math.min(vocab.length - 1, Math.floor(vocab.length * rnd() ** 3.2))] }
}

/**
 * Builds the search index file beside `dbPath` from the messages in `chat` (left query-only), in
 * passes of 20,000 messages, optimized and checkpointed as `chatapi search rebuild` leaves it.
 * Throws `capError` past `deadline` (a performance.now() time); `onPass` hears each pass's number.
 * Returns the index file's path; the caller closes `chat`.
 */
export function writeSearchIndex(chat: Database, dbPath: string, deadline: number, capError: string, onPass: (n: number) => void = () => {}): string {
  const path = searchIndexPath(dbPath)
  removeIndexFiles(path)
  const idx = openIndexDb(path)
  chat.exec('PRAGMA query_only = ON')
  try {
    const index = createSearchIndex({ chat, idx, schema: 'main' })
    let n = 0
    while (index.pass(20_000).more) {
      if (performance.now() > deadline) throw new Error(capError)
      onPass(++n)
    }
    idx.exec("INSERT INTO fts (fts) VALUES ('optimize')")
    idx.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  } finally {
    idx.close()
  }
  return path
}
