// GET /v1/search: full-text search over the caller's rooms (SPEC §13).

import { Elysia } from 'elysia'
import { tenantErrorsWith } from '../../schemas/common'
import { SearchQuery, SearchResults } from '../../schemas/search'
import { actorOf, tenantSecurity, type RouteDeps } from '../deps'
import { jsonResponse } from '../json-response'

export const searchRoutes = (deps: RouteDeps) =>
  new Elysia().get('/v1/search', async ({ request, query, set }) => jsonResponse(await deps.services.search.search(actorOf(deps, request), query), set), {
    query: SearchQuery,
    response: { 200: SearchResults, ...tenantErrorsWith(403, 404) },
    detail: {
      operationId: 'searchMessages',
      tags: ['search'],
      summary: 'Search messages in your rooms, newest first',
      description:
        'Messages matching `q` in the rooms the caller is a member of now (optionally one room and/or one sender). ' +
        'Words are ANDed, `"a phrase"` matches in order, a trailing `*` matches a prefix; case is ignored, and diacritics too where the database can. ' +
        'Deleted messages never match and an edited message matches its current content only; a message is searchable within 2 s of its 201. ' +
        '`snippet` is HTML-escaped with the matches in `<mark>`…`</mark>`. ' +
        '400 on `q` (empty, over 256 characters, or no word), `limit`, `cursor`, `room_id` or `sender_id`; 404/403 for a room you may not read; ' +
        '403 when the tenant feature `features.search` (or the server, SEARCH_ENABLED) is off; 503 while the search worker restarts.',
      security: tenantSecurity,
    },
  })
