// Search (SPEC §13): the input rules, the feature switch and room access, then one page from the
// backend (PostgreSQL full-text search, or the SQLite index in the search worker) with snippets.

import type { Store } from '../db/types'
import { MAX_QUERY_CHARS, parseSearchQuery, type SearchPage, type SearchRequest } from '../db/search-query'
import { toMessage } from '../db/rows'
import { forbidden, invalid } from '../errors'
import { USER_ID_PATTERN } from '../schemas/common'
import type { SearchQuery, SearchResults } from '../schemas/search'
import type { Actor } from './actor'
import { parseLimit } from './input'
import { roomFor } from './access'
import { buildSnippet } from './snippet'
import type { Subscriber } from './events'

/** Where the page comes from: the store's own search, or the search worker (SQLite with a file). */
export interface SearchBackend {
  query(req: SearchRequest): SearchPage | Promise<SearchPage>
}

const USER_ID = new RegExp(USER_ID_PATTERN)

export function createSearchService(d: { store: Store; backend: SearchBackend; enabled: boolean }) {
  return {
    async search(actor: Actor, query: SearchQuery): Promise<SearchResults> {
      if (!d.enabled) throw forbidden('search is disabled on this server')
      if (!actor.tenant.config.features.search) throw forbidden('search is disabled for this tenant')
      const q = query.q ?? ''
      const chars = [...q].length
      if (chars < 1 || chars > MAX_QUERY_CHARS) throw invalid('q', `q must be 1-${MAX_QUERY_CHARS} characters`)
      const terms = parseSearchQuery(q)
      if (!terms.length) throw invalid('q', 'q must contain at least one word (letters or digits)')
      const limit = parseLimit(query.limit)
      if (query.sender_id !== undefined && !USER_ID.test(query.sender_id)) throw invalid('sender_id', 'sender_id is not a valid user id')
      if (query.room_id !== undefined) {
        if (query.room_id === '') throw invalid('room_id', 'room_id must not be empty')
        await roomFor(d.store, actor, query.room_id, 'member')
      }
      if (query.cursor === '') throw invalid('cursor', 'cursor is not valid')
      const page = await d.backend.query({
        tenantId: actor.tenant.tenant_id,
        userId: actor.userId,
        terms,
        roomId: query.room_id,
        senderId: query.sender_id,
        limit,
        cursor: query.cursor,
      })
      return {
        results: page.rows.map((r) => ({ room_id: r.room_id, message: toMessage(r), snippet: buildSnippet(r.content, terms) })),
        next_cursor: page.next_cursor,
      }
    },
  }
}

export type SearchService = ReturnType<typeof createSearchService>

/**
 * What the search worker is told after each commit: the rooms with new messages, and that edits or
 * deletes happened (their search_changes rows are committed). Only hints: the worker reads the rows.
 */
export function searchIndexing(worker: { roomChanged(roomId: string): void; messageChanged(): void }): Subscriber {
  return {
    name: 'search index',
    handlers: {
      'message.created': (e) => worker.roomChanged(e.message.room_id),
      'message.updated': () => worker.messageChanged(),
      'message.deleted': () => worker.messageChanged(),
    },
  }
}
