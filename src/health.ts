// The health document of SPEC §4: status, version, epoch, uptime, db writability, workers, connections.

import type { Clock } from './clock'
import type { Config } from './config'
import type { Store } from './db/types'
import type { StorageHealth } from './storage-health'

export interface HealthSource {
  /** The current health document and whether it is healthy (200) or not (503). */
  snapshot(): Promise<{ ok: boolean; body: Record<string, unknown> }>
}

export interface WorkerStatus {
  state: 'running' | 'restarting' | 'stopped'
  restarts: number
  last_error: string | null
}

type Deps = {
  config: Config
  store: Store
  /** Storage faults the write path met: the probe alone can pass while real writes fail. */
  storage: Pick<StorageHealth, 'failing'>
  broker: { allSockets(): Iterable<unknown> }
  epoch: string
  clock: Clock
  /** The worker threads' states; null while none was started (an in-memory database never starts them). */
  workers: () => Record<string, WorkerStatus> | null
}

const notStarted = (): Record<string, WorkerStatus> => ({
  delivery: { state: 'stopped', restarts: 0, last_error: null },
  checkpoint: { state: 'stopped', restarts: 0, last_error: null },
})

export function createHealth({ config, store, storage, broker, epoch, clock, workers: workerStates }: Deps) {
  const started = clock.now()
  let draining = false
  const workers = () => workerStates() ?? notStarted()
  const source: HealthSource & {
    setDraining(): void
    isDraining(): boolean
    connections(): number
  } = {
    connections() {
      let n = 0
      for (const _ of broker.allSockets()) n++
      return n
    },
    setDraining: () => void (draining = true),
    isDraining: () => draining,
    async snapshot() {
      const writable = draining ? true : storage.failing() === null && (await store.writable())
      const w = workers()
      const connections = source.connections()
      const workersOk = Object.values(w).every((x) => x.state === 'running' || (x.state === 'stopped' && x.restarts === 0))
      const status = draining ? 'draining' : writable && workersOk ? 'ok' : 'degraded'
      return {
        ok: status === 'ok',
        body: {
          status,
          version: config.version,
          epoch,
          uptime_s: Math.floor((clock.now() - started) / 1000),
          db: { writable, wal_bytes: await store.walBytes() },
          workers: w,
          connections,
        },
      }
    },
  }
  return source
}
