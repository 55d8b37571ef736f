// Typed messages between the main thread and the worker threads. Workers never write the database
// and never touch sockets: anything that changes state comes back here as a message (SPEC §6).

import type { AttemptResult } from '../services/delivery'

/** Everything a worker needs, sent once as its first message (workers read no environment). */
export interface WorkerInit {
  type: 'init'
  dbPath: string
  /** Set on shared storage: the worker opens its own PostgreSQL pool. */
  postgresUrl?: string | null
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  settings: Record<string, number | boolean>
}

export type ToWorker = WorkerInit | { type: 'wake' } | { type: 'stop' }

export type FromWorker =
  | { type: 'ready' }
  /** Attempt results, batched by the worker so the main thread applies them in one transaction. */
  | { type: 'results'; results: AttemptResult[] }
  | { type: 'cleanup' }
  | { type: 'wal'; bytes: number }
  | { type: 'error'; code: string }
  | { type: 'stopped' }
