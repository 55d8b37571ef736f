// Group commit: writes that arrive in the same event-loop turn share one transaction (one fsync).

/**
 * Collects items and flushes them together on the next macrotask, so every request parsed in this
 * turn of the event loop joins the batch. `flush` returns one result per item, in order, either at
 * once (SQLite: one synchronous immediate transaction) or as a promise (PostgreSQL); each caller's
 * promise settles only after that commit. Batches never overlap: the next flush starts when the
 * previous one has settled, so seq order and publish order stay the commit order.
 * If the flush fails as a whole (e.g. SQLITE_FULL), every caller in the batch gets that error.
 */
export function createGroupCommit<I, R>(
  flush: (items: I[]) => R[] | Promise<R[]>,
  maxBatch = 500,
  /** linger: wait for more items under sustained load (below); lingerMaxMs caps that wait (2 ms; tests widen it). */
  opts: { linger?: boolean; lingerMaxMs?: number } = {},
) {
  const lingerMaxMs = opts.lingerMaxMs ?? 2
  let queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let scheduled = false
  let flushing = false
  // Linger (see schedule below): when the last flush ended, how long it took, and until when to wait.
  let lastEnd = 0
  let lastMs = 0
  let lingerUntil = 0

  const settle = (slice: typeof queue, outcome: () => R[] | Promise<R[]>): void | Promise<void> => {
    let results: R[] | Promise<R[]>
    try {
      results = outcome()
    } catch (e) {
      for (const b of slice) b.reject(e)
      return
    }
    if (!(results instanceof Promise)) return slice.forEach((b, j) => b.resolve((results as R[])[j]))
    return results.then(
      (rs) => slice.forEach((b, j) => b.resolve(rs[j])),
      (e) => slice.forEach((b) => b.reject(e)),
    )
  }

  /**
   * Under sustained load, waiting a little before a flush makes batches larger. Callers that get
   * their answer from one commit tend to come back together, so without a wait the same groups keep
   * their own (small) commits, each paying a full fsync: 64 REST clients settled into batches of
   * ~13. When the previous flush ended less than its own duration ago (commits back to back), the
   * next one waits up to half that duration (at most lingerMaxMs, 2 ms) for more items, polling the event loop
   * meanwhile (setImmediate turns: timers are ~1 ms coarse). An idle system flushes at once.
   */
  const schedule = () => {
    scheduled = true
    const now = performance.now()
    lingerUntil = opts.linger && now - lastEnd < lastMs ? now + Math.min(lingerMaxMs, lastMs / 2) : 0
    setImmediate(run)
  }

  const run = async () => {
    if (lingerUntil && queue.length < maxBatch && performance.now() < lingerUntil) return void setImmediate(run)
    scheduled = false
    if (flushing) return
    flushing = true
    const started = performance.now()
    try {
      // Items submitted while an async flush was in progress are picked up by the next round.
      while (queue.length) {
        const batch = queue
        queue = []
        for (let i = 0; i < batch.length; i += maxBatch) {
          const slice = batch.slice(i, i + maxBatch)
          const pending = settle(slice, () => flush(slice.map((b) => b.item)))
          if (pending) await pending
        }
      }
    } finally {
      flushing = false
      lastEnd = performance.now()
      lastMs = lastEnd - started
    }
  }

  return {
    submit(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled && !flushing) schedule()
      })
    },
    /** Items waiting for the next flush (for metrics and shutdown). */
    pending: () => queue.length,
  }
}
