// Runs the lifecycle loop (lifecycle-loop.ts) on the main thread, paced so that deletes never stall
// sends. Not a Worker thread: on SQLite the main thread is the only writer (SPEC §6; a second
// writing connection would hold the write lock while the event loop waits on busy_timeout), and
// nearly all of this work is writes. It stays off the send path by size and pacing instead:
// - each tick is one bounded transaction (at most `batch` rows);
// - after a tick that did work it waits `pace` times as long as the tick took (at least 1 ms, a
//   timer, so group commits, HTTP requests and socket frames queued meanwhile run first), and at
//   least as long as keeps the rows written under `rowsPerSec`: a mass delete writes about 0.5 KB
//   of WAL per row and as much again when the checkpoint copies it back, and that disk traffic, not
//   the main thread's time, is what slowed sends (every FULL commit waits for its fsync behind it);
// - with nothing to do it sleeps `idleMs`, or until woken by a new job;
// - after a failure it backs off exponentially (capped at 30 s) and logs at most every 30 s.

import type { Logger } from '../log'
import type { LifecycleLoop } from './lifecycle-loop'

export interface RunnerSettings {
  idleMs: number
  /** Wait after a busy tick, as a multiple of the time the tick took. */
  pace: number
  /** Most rows written per second, over all jobs and retention (0: no cap). */
  rowsPerSec: number
}

export const RUNNER_DEFAULTS: RunnerSettings = { idleMs: 1000, pace: 1, rowsPerSec: 10_000 }

export function startLifecycleRunner(loop: LifecycleLoop, log: Logger, settings: RunnerSettings) {
  let stopping = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let wakeUp: (() => void) | null = null
  let lastLogged = 0
  /** Woken while a tick ran: the next tick comes without the idle sleep. */
  let woken = false

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeUp = resolve
      timer = setTimeout(resolve, ms)
    }).finally(() => {
      if (timer) clearTimeout(timer)
      timer = null
      wakeUp = null
    })

  const running = (async () => {
    let errors = 0
    while (!stopping) {
      const started = performance.now()
      let worked: number | false = false
      try {
        worked = await loop.tick()
        errors = 0
      } catch (e) {
        errors++
        if (Date.now() - lastLogged > 30_000) {
          lastLogged = Date.now()
          log.error('lifecycle step failed', { code: (e as { code?: string }).code, error: e })
        }
      }
      if (stopping) break
      if (woken && !errors) {
        woken = false
        await sleep(0)
        continue
      }
      const took = performance.now() - started
      const budget = worked && settings.rowsPerSec ? (worked * 1000) / settings.rowsPerSec - took : 0
      await sleep(errors ? Math.min(30_000, 100 * 2 ** errors) : worked !== false ? Math.max(1, took * settings.pace, budget) : settings.idleMs)
    }
  })()

  return {
    /** A job was created: claim and run it now rather than after the idle sleep. */
    wake() {
      loop.wake()
      woken = true
      wakeUp?.()
    },
    /** A tenant's config changed: a retention pass runs now, so a new retention_days applies at once. */
    retentionChanged() {
      loop.retentionChanged()
      woken = true
      wakeUp?.()
    },
    /** Resolves once the tick in flight (if any) has ended; no tick starts after. */
    async stop() {
      stopping = true
      wakeUp?.()
      await running
    },
  }
}

export type LifecycleRunner = ReturnType<typeof startLifecycleRunner>
