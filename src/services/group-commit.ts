// Group commit: writes that arrive in the same event-loop turn share one transaction (one fsync).

/**
 * Collects items and flushes them together on the next macrotask, so every request parsed in this
 * turn of the event loop joins the batch. `flush` returns one result per item, in order, either at
 * once (SQLite: one synchronous immediate transaction) or as a promise (PostgreSQL); each caller's
 * promise settles only after that commit. Batches never overlap: the next flush starts when the
 * previous one has settled, so seq order and publish order stay the commit order.
 * If the flush fails as a whole (e.g. SQLITE_FULL), every caller in the batch gets that error.
 */
export function createGroupCommit<I, R>(flush: (items: I[]) => R[] | Promise<R[]>, maxBatch = 500) {
  let queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let scheduled = false
  let flushing = false

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

  const run = async () => {
    scheduled = false
    if (flushing) return
    flushing = true
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
    }
  }

  return {
    submit(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled && !flushing) {
          scheduled = true
          setImmediate(run)
        }
      })
    },
    /** Items waiting for the next flush (for metrics and shutdown). */
    pending: () => queue.length,
  }
}
