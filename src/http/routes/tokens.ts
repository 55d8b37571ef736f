// POST /v1/tokens: mint a user token for a browser or mobile client (API key callers only; no user needed).

import { Type } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { ServiceChecked, Timestamp, tenantErrorsWith, UserId } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { appLevel, appSecurity, callerOf, type RouteDeps } from '../deps'

export const tokensRoutes = (deps: RouteDeps) =>
  new Elysia().post(
    '/v1/tokens',
    async ({ request, body, set }) => {
      const r = await deps.services.tokens.mint(callerOf(deps, request), body)
      set.status = 201
      return r
    },
    {
      body: t.Object(
        {
          user_id: ServiceChecked(t.String(), { ...UserId, description: 'the user the token acts for' }),
          ttl_s: t.Optional(
            ServiceChecked(t.Number(), Type.Integer({ minimum: 1, maximum: 2_592_000, default: 3600, description: 'lifetime in seconds (default one hour, at most 30 days)' })),
          ),
        },
        { examples: [{ user_id: 'alice', ttl_s: 3600 }] },
      ),
      response: {
        201: t.Object(
          { token: t.String({ description: 'an HS256 JWT; send it as Authorization: Bearer, or ?token= on /ws' }), expires_at: Timestamp },
          { description: 'A new user token.', examples: [{ token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl', expires_at: EX.later }] },
        ),
        ...tenantErrorsWith(403),
      },
      detail: appLevel({
        operationId: 'mintToken',
        tags: ['auth'],
        summary: 'Mint a user token (HS256 JWT) for a client',
        description:
          "Signs a user token with the tenant's user_token_secret, for a browser or mobile app that must never hold the API key. Acts for the parent app: the API key alone is enough (no X-User-Id needed); a user token gets 403.",
        security: appSecurity,
      }),
    },
  )
