// Search wire shapes (SPEC §13): GET /v1/search.

import { Type as t, type Static } from '@sinclair/typebox'
import { QueryInteger, ServiceChecked, USER_ID_PATTERN } from './common'
import { EX, exampleMessage } from './examples'
import { Message } from './message'

/**
 * Every value is checked by the service, after the feature switch (403 first when search is off),
 * so each error names its field (`q`, `limit`, `room_id`, `sender_id`, `cursor`) as SPEC §10 asks.
 */
export const SearchQuery = t.Object({
  q: t.Optional(
    ServiceChecked(
      t.String(),
      t.String({
        minLength: 1,
        maxLength: 256,
        description:
          '1-256 characters. Words are ANDed; "a phrase" matches in order; a trailing * matches a prefix; case is ignored, and diacritics too where the database can. A query with no word (only operators or punctuation) is a 400.',
        examples: ['mockups "design review" deplo*'],
      }),
      { required: true },
    ),
  ),
  room_id: t.Optional(
    ServiceChecked(t.String(), t.String({ minLength: 1, description: 'Only this room (you must be a member: else 404 for a group or dm, 403 for a channel).', examples: [EX.roomId] })),
  ),
  sender_id: t.Optional(
    ServiceChecked(t.String(), t.String({ pattern: USER_ID_PATTERN, description: 'Only messages sent by this user.', examples: ['alice'] })),
  ),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [20] })),
  cursor: t.Optional(t.String({ description: 'The `next_cursor` of the previous page (opaque); absent for the first page.' })),
})
export type SearchQuery = Static<typeof SearchQuery>

export const SearchResult = t.Object({
  room_id: t.String(),
  message: Message,
  snippet: t.String({
    description:
      'Up to 200 characters of the content around the first match, HTML-escaped, with the matched words in <mark>…</mark> (the only markup).',
  }),
})
export type SearchResult = Static<typeof SearchResult>

export const SearchResults = t.Object(
  {
    results: t.Array(SearchResult),
    next_cursor: t.Union([t.String(), t.Null()], {
      description: 'null on the last page. A page may hold fewer than `limit` results and still have a cursor: keep paging until it is null.',
    }),
  },
  {
    description: 'Messages matching q in the rooms the caller is a member of now, newest first.',
    examples: [
      {
        results: [{ room_id: EX.roomId, message: exampleMessage, snippet: 'The new <mark>mockups</mark> are up.' }],
        next_cursor: null,
      },
    ],
  },
)
export type SearchResults = Static<typeof SearchResults>
