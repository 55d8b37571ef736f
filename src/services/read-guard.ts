// Keeps a cache from storing an answer that a change overtook: the read/invalidate race of an
// asynchronous store (a row read before a DELETE or UPDATE commits, answered after the eviction).

/**
 * Per-key generations that exist only while reads of the key are in flight (nothing at rest).
 * `begin(key)` before a read; the returned `end()` after it (once, answer or error) says whether
 * `invalidate(key)` ran meanwhile, in which case the answer may predate the change.
 */
export function createReadGuard() {
  const inFlight = new Map<string, { generation: number; reads: number }>()
  return {
    begin(key: string): () => boolean {
      let entry = inFlight.get(key)
      if (!entry) inFlight.set(key, (entry = { generation: 0, reads: 0 }))
      const own = entry
      const seen = own.generation
      own.reads++
      return () => {
        if (--own.reads === 0) inFlight.delete(key)
        return own.generation !== seen
      }
    },
    invalidate(key: string): void {
      const entry = inFlight.get(key)
      if (entry) entry.generation++
    },
  }
}
