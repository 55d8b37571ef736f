// POST /v1/tokens: mint a user token for a browser or mobile client (API key callers only; no user needed).

import { Elysia, t } from 'elysia'
import { Timestamp, tenantErrors } from '../../schemas/common'
import type { TokenService } from '../../services/token'
import { appLevel, callerOf, tenantSecurity, type RouteDeps } from '../deps'

export const tokensRoutes = (deps: RouteDeps, tokens: TokenService) =>
  new Elysia().post(
    '/v1/tokens',
    async ({ request, body, set }) => {
      const r = await tokens.mint(callerOf(deps, request), body)
      set.status = 201
      return r
    },
    {
      body: t.Object({
        user_id: t.String({ description: 'the user the token acts for' }),
        ttl_s: t.Optional(t.Number({ description: 'lifetime in seconds, 1-2592000 (default 3600)' })),
      }),
      response: { 201: t.Object({ token: t.String(), expires_at: Timestamp }), ...tenantErrors },
      detail: appLevel({ tags: ['auth'], summary: 'Mint a user token (HS256 JWT) for a client', security: tenantSecurity }),
    },
  )
