// The health document of SPEC §4: status, version, epoch, uptime, db writability, workers, this
// instance's connections and, with several instances on Redis, the cluster's.

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
  /** Several instances sharing Redis: its reachability and the cluster's figures (null: one instance). */
  cluster?: {
    reachable(): boolean
    figures(): Promise<{ instances: number; connections: number } | null>
  } | null
}

const notStarted = (): Record<string, WorkerStatus> => ({
  delivery: { state: 'stopped', restarts: 0, last_error: null },
  checkpoint: { state: 'stopped', restarts: 0, last_error: null },
})

export function createHealth({ config, store, storage, broker, epoch, clock, workers: workerStates, cluster }: Deps) {
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
      // Redis away: this instance still takes writes (200, stay in the load balancer), but its
      // sockets miss live frames from the others until Redis returns: `degraded` all the same.
      const redisUp = cluster ? cluster.reachable() : true
      const figures = cluster && redisUp ? await cluster.figures() : null
      const serving = !draining && writable && workersOk
      const status = draining ? 'draining' : serving && redisUp ? 'ok' : 'degraded'
      return {
        ok: serving,
        body: {
          status,
          version: config.version,
          epoch,
          uptime_s: Math.floor((clock.now() - started) / 1000),
          db: { writable, wal_bytes: await store.walBytes() },
          workers: w,
          connections,
          ...(cluster && { cluster: { redis: redisUp ? 'ok' : 'unreachable', instances: figures?.instances ?? null, connections: figures?.connections ?? null } }),
        },
      }
    },
  }
  return source
}
