// Upload lifecycle (SPEC §12): orphans (uploads no message listed within UPLOAD_ORPHAN_TTL_MS) and the
// files of deleted messages are removed. The database marks a file doomed first (its row becomes
// invisible at once, and a concurrent send can no longer attach it), then the file is removed, then
// the row: a crash in between leaves a doomed row that the next sweep finishes.

import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import type { BlobStore } from '../blobs/types'
import type { Logger } from '../log'
import type { BackgroundTask } from '../tasks'

/** Rows claimed or files removed per step; a sweep runs at most MAX_STEPS of each. */
const BATCH = 100
const MAX_STEPS = 50

export interface SweepResult {
  /** Orphans doomed by this sweep. */
  orphans: number
  /** Files removed (orphans and files of deleted messages). */
  removed: number
}

type Deps = { store: Store; blobs: BlobStore; clock: Clock; log: Logger; config: Pick<Config, 'UPLOAD_ORPHAN_TTL_MS'> }

export function createUploadSweep({ store, blobs, clock, log, config }: Deps) {
  let running: Promise<SweepResult> | null = null

  async function sweep(): Promise<SweepResult> {
    const now = clock.now()
    const before = new Date(now - config.UPLOAD_ORPHAN_TTL_MS).toISOString()
    let orphans = 0
    for (let step = 0; step < MAX_STEPS; step++) {
      const n = await store.uploads.claimOrphans(before, new Date(now).toISOString(), BATCH)
      orphans += n
      if (n < BATCH) break
    }
    let removed = 0
    for (let step = 0; step < MAX_STEPS; step++) {
      const doomed = await store.uploads.doomed(BATCH)
      if (!doomed.length) break
      const gone: string[] = []
      for (const d of doomed) {
        try {
          await blobs.remove(d.storage_key)
          gone.push(d.upload_id)
        } catch (e) {
          // Kept doomed (and invisible): the next sweep tries again.
          log.warn('removing an uploaded file failed', { upload_id: d.upload_id, error: (e as Error).message })
        }
      }
      await store.uploads.purge(gone)
      removed += gone.length
      if (gone.length < doomed.length || doomed.length < BATCH) break
    }
    return { orphans, removed }
  }

  return {
    /** One sweep (at most one runs at a time; a call during one waits for it). Tests call it directly. */
    tick(): Promise<SweepResult> {
      return (running ??= sweep().finally(() => (running = null)))
    },
  }
}

export type UploadSweep = ReturnType<typeof createUploadSweep>

/** The sweep on a timer (a quarter of UPLOAD_ORPHAN_TTL_MS, between 1 s and 60 s); stop waits for a sweep in flight. */
export function uploadSweeper(deps: { sweep: UploadSweep; config: Pick<Config, 'UPLOAD_ORPHAN_TTL_MS'>; log: Logger }): BackgroundTask {
  const everyMs = Math.min(60_000, Math.max(1000, Math.floor(deps.config.UPLOAD_ORPHAN_TTL_MS / 4)))
  let timer: ReturnType<typeof setInterval> | null = null
  let sweeping: Promise<unknown> | null = null
  return {
    name: 'upload sweeper',
    start() {
      timer = setInterval(() => {
        sweeping ??= deps.sweep
          .tick()
          .catch((e) => deps.log.error('upload sweep failed', { code: (e as { code?: string }).code, error: (e as Error).message }))
          .finally(() => (sweeping = null))
      }, everyMs)
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = null
      await sweeping
    },
  }
}
