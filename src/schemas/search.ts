// Search wire shapes (SPEC §13): GET /v1/search.

import { Type as t, type Static } from '@sinclair/typebox'
import { Message } from './message'

/**
 * Every value is a string checked by the service, so each error names its field (`q`, `limit`,
 * `room_id`, `sender_id`, `cursor`) as SPEC §10 asks.
 */
export const SearchQuery = t.Object({
  q: t.Optional(
    t.String({
      description:
        '1-256 characters. Words are ANDed; "a phrase" matches in order; a trailing * matches a prefix (`deplo*`); case and, where the database can, diacritics are ignored',
      examples: ['deploy "release notes" fri*'],
    }),
  ),
  room_id: t.Optional(t.String({ description: 'only this room (a member of it, else 404 for a group or dm, 403 for a channel)' })),
  sender_id: t.Optional(t.String({ description: 'only messages sent by this user' })),
  limit: t.Optional(t.String({ description: 'page size, 1-200 (default 50)' })),
  cursor: t.Optional(t.String({ description: 'opaque cursor from a previous page' })),
})
export type SearchQuery = Static<typeof SearchQuery>

export const SearchResult = t.Object({
  room_id: t.String(),
  message: Message,
  snippet: t.String({
    description:
      'up to 200 characters of the content around the first match, HTML-escaped, with the matched words in <mark>…</mark> (the only markup)',
    examples: ['shipping the <mark>release notes</mark> on &lt;Friday&gt;'],
  }),
})
export type SearchResult = Static<typeof SearchResult>

export const SearchResults = t.Object(
  {
    results: t.Array(SearchResult),
    next_cursor: t.Union([t.String(), t.Null()], {
      description: 'null on the last page. A page may hold fewer than `limit` results and still have a cursor: keep paging until it is null',
    }),
  },
  { description: 'messages matching q in the rooms the caller is a member of now, newest first' },
)
export type SearchResults = Static<typeof SearchResults>
