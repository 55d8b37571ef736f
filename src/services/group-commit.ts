// Group commit: writes that arrive in the same event-loop turn share one transaction (one fsync).

/**
 * Collects items and flushes them together on the next macrotask, so every request parsed in this
 * turn of the event loop joins the batch. `flush` runs synchronously (one immediate transaction) and
 * returns one result per item, in order; each caller's promise settles only after that commit.
 * If the flush throws as a whole (e.g. SQLITE_FULL), every caller in the batch gets that error.
 */
export function createGroupCommit<I, R>(flush: (items: I[]) => R[], maxBatch = 500) {
  let queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let scheduled = false

  const run = () => {
    scheduled = false
    const batch = queue
    queue = []
    for (let i = 0; i < batch.length; i += maxBatch) {
      const slice = batch.slice(i, i + maxBatch)
      let results: R[]
      try {
        results = flush(slice.map((b) => b.item))
      } catch (e) {
        for (const b of slice) b.reject(e)
        continue
      }
      slice.forEach((b, j) => b.resolve(results[j]))
    }
  }

  return {
    submit(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(run)
        }
      })
    },
    /** Items waiting for the next flush (for metrics and shutdown). */
    pending: () => queue.length,
  }
}
