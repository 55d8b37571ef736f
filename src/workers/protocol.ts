// Typed messages between the main thread and the worker threads. Workers never write the database
// and never touch sockets: anything that changes state comes back here as a message (SPEC §6).

import type { AttemptResult } from '../services/delivery'
import type { SearchPage, SearchRequest } from '../db/search-query'

/** Everything a worker needs, sent once as its first message (workers read no environment). */
export interface WorkerInit {
  type: 'init'
  dbPath: string
  /** Set on shared storage: the worker opens its own PostgreSQL pool. */
  postgresUrl?: string | null
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  settings: Record<string, number | boolean>
}

export type ToWorker =
  | WorkerInit
  | { type: 'wake' }
  | { type: 'stop' }
  /** Rooms with newly committed messages, for the search index (a hint: the worker reads the rows). */
  | { type: 'search.rooms'; rooms: string[] }
  | { type: 'search.query'; id: number; req: SearchRequest }

export type FromWorker =
  | { type: 'ready' }
  /** Attempt results, batched by the worker so the main thread applies them in one transaction. */
  | { type: 'results'; results: AttemptResult[] }
  | { type: 'cleanup' }
  | { type: 'wal'; bytes: number }
  /** The search index applied search_changes up to this id: the main thread may delete those rows. */
  | { type: 'search.progress'; changes: number }
  /**
   * The answer to one search.query: a page, or an error: an AppError's code, field and message (a bad
   * cursor), or a SQLite code (the main thread answers 503).
   */
  | { type: 'search.result'; id: number; page?: SearchPage; error?: { code: string; field?: string; message?: string } }
  | { type: 'error'; code: string }
  | { type: 'stopped' }
