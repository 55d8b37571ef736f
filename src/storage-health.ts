// What the write path has learned about the storage, for /health (SPEC §4): the write probe alone can
// pass while every real write fails (it rewrites pages the WAL already holds), so a storage fault seen
// by a real write keeps /health 503 until a write that needs new space commits again.

import type { Clock } from './clock'
import type { Store } from './db/types'
import { isStorageFault } from './errors'
import type { Logger } from './log'

export interface StorageHealth {
  /** A store call failed with a storage fault (disk full, I/O error, read-only file). */
  failed(error: unknown): void
  /** A write that added rows committed: the storage takes new data again. */
  committed(): void
  /** Null while writes succeed; else since when they fail (epoch ms) and the last fault's code. */
  failing(): { since: number; code: string } | null
}

export function createStorageHealth({ clock, log }: { clock: Clock; log: Logger }): StorageHealth {
  let state: { since: number; code: string } | null = null
  return {
    failed(error) {
      // SQLite names the fault in `code`; Bun's PostgreSQL errors carry the SQLSTATE in `errno`.
      const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown }
      const name = String(typeof code === 'string' && code.startsWith('SQLITE_') ? code : (errno ?? code ?? 'unknown'))
      if (state) return void (state.code = name)
      state = { since: clock.now(), code: name }
      log.error('storage failing: /health reports not writable until a write succeeds', { code: name })
    },
    committed() {
      if (!state) return
      log.info('storage writable again', { code: state.code, failed_ms: clock.now() - state.since })
      state = null
    },
    failing: () => state,
  }
}

/**
 * Writes that add rows and so need fresh space: one of them committing shows the storage takes new
 * data again. In-place updates (acks, edits, the health probe's upsert) can succeed on a full disk,
 * so they never clear the failing state. Any other store call only reports faults.
 */
const ADDS_ROWS: Record<string, readonly string[]> = {
  messages: ['appendBatch'],
  rooms: ['create'],
  tenants: ['insert'],
  notifications: ['create', 'subscribe'],
  deliveries: ['enqueue'],
  reactions: ['add'],
}

type Fn = (...args: unknown[]) => unknown

/**
 * The store with every method wrapped (a new object for the composition root to hand to the
 * services; the store itself is not changed) so that storage faults reach `health` whichever path
 * hit them: REST, WebSocket, or a background sweep. Keeps synchronous methods synchronous (the
 * SQLite group commit relies on it).
 */
export function watchStorage(store: Store, health: StorageHealth): Store {
  const wrap = (fn: Fn, addsRows: boolean): Fn => {
    const settled = (result: unknown) => {
      // A group commit answers per message: a fault may come back as one item's error.
      if (Array.isArray(result) && result.length && typeof result[0] === 'object' && result[0] !== null && 'ok' in result[0]) {
        const items = result as { ok: boolean; error?: unknown; created?: boolean }[]
        const fault = items.find((r) => !r.ok && isStorageFault(r.error))
        if (fault) health.failed(fault.error)
        else if (addsRows && items.some((r) => r.ok && r.created)) health.committed()
      } else if (addsRows && (result as { created?: boolean } | null)?.created !== false) health.committed()
      return result
    }
    const rejected = (e: unknown) => {
      if (isStorageFault(e)) health.failed(e)
      throw e
    }
    return (...args) => {
      let result: unknown
      try {
        result = fn(...args)
      } catch (e) {
        return rejected(e)
      }
      return result instanceof Promise ? result.then(settled, rejected) : settled(result)
    }
  }
  const watched: Record<string, unknown> = {}
  for (const [name, group] of Object.entries(store)) {
    if (typeof group === 'function') {
      watched[name] = name === 'writable' || name === 'walBytes' ? group : wrap(group as Fn, false)
    } else if (group && typeof group === 'object') {
      const methods: Record<string, unknown> = {}
      for (const [method, fn] of Object.entries(group)) methods[method] = typeof fn === 'function' ? wrap(fn as Fn, ADDS_ROWS[name]?.includes(method) ?? false) : fn
      watched[name] = methods
    } else watched[name] = group
  }
  return watched as unknown as Store
}
