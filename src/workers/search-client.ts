// The main thread's side of the search worker: queries as requests with ids (answered between the
// worker's passes), and hints naming the rooms that got new messages, coalesced per turn of the
// event loop so a busy group commit posts one message, not one per send.

import type { SearchPage, SearchRequest } from '../db/search-query'
import { AppError, STATUS, unavailable, type ErrorCode } from '../errors'
import type { FromWorker, ToWorker } from './protocol'

export interface SearchWorkerLink {
  post(m: ToWorker): void
  /** Whether the worker is up (a query to a restarting worker fails at once with 503). */
  running(): boolean
}

const down = () => unavailable('search is not available right now; try again shortly')

export function createSearchClient(link: SearchWorkerLink, timeoutMs = 10_000) {
  const pending = new Map<number, { resolve(p: SearchPage): void; reject(e: unknown): void; timer: ReturnType<typeof setTimeout> }>()
  let nextId = 1
  let rooms = new Set<string>()
  let flushing = false

  function flush() {
    flushing = false
    if (!rooms.size) return
    const batch = [...rooms]
    rooms = new Set()
    link.post({ type: 'search.rooms', rooms: batch })
  }

  return {
    query(req: SearchRequest): Promise<SearchPage> {
      if (!link.running()) return Promise.reject(down())
      const id = nextId++
      return new Promise<SearchPage>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(down())
        }, timeoutMs)
        pending.set(id, { resolve, reject, timer })
        link.post({ type: 'search.query', id, req })
      })
    },

    /** A room has new committed messages. */
    roomChanged(roomId: string) {
      rooms.add(roomId)
      if (!flushing) {
        flushing = true
        setImmediate(flush)
      }
    },

    /** A message was edited or deleted: its change row is committed; have the worker look now. */
    messageChanged() {
      link.post({ type: 'wake' })
    },

    /** Handles the worker's answers; true when the message was one. */
    onMessage(m: FromWorker): boolean {
      if (m.type !== 'search.result') return false
      const p = pending.get(m.id)
      if (!p) return true
      pending.delete(m.id)
      clearTimeout(p.timer)
      if (m.page) p.resolve(m.page)
      else if (m.error && m.error.code in STATUS) p.reject(new AppError(m.error.code as ErrorCode, m.error.message ?? 'search failed', m.error.field))
      else p.reject(down())
      return true
    },

    /** The worker died: nothing in flight will be answered. */
    failAll() {
      for (const [id, p] of pending) {
        clearTimeout(p.timer)
        p.reject(down())
        pending.delete(id)
      }
    },
  }
}

export type SearchClient = ReturnType<typeof createSearchClient>
