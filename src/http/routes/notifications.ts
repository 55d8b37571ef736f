// POST /v1/notify and /v1/subscriptions (SPEC §4 Notifications).

import { Elysia, t } from 'elysia'
import { PathId, tenantErrorsWith } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { NotifyBody, NotifyResult, SubscribeBody, Subscription, SubscriptionList } from '../../schemas/notification'
import { actorOf, appLevel, appSecurity, callerOf, chargeItems, tenantSecurity, type RouteDeps } from '../deps'

export const notificationsRoutes = (deps: RouteDeps) => {
  const { notifications } = deps.services
  const detail = (operationId: string, summary: string, description: string, security = tenantSecurity) => ({
    operationId,
    tags: ['notifications'],
    summary,
    description,
    security,
  })
  return new Elysia()
    .post(
      '/v1/notify',
      async ({ request, body, set }) => {
        // charged by its recipients once they are known, before anything is stored
        const r = await notifications.notify(callerOf(deps, request), body, (recipients) => chargeItems(deps, request, set, recipients))
        set.status = 202
        return r
      },
      {
        body: NotifyBody,
        response: { 202: { ...NotifyResult, description: 'Accepted: stored and on its way over WebSocket and to webhook endpoints.' }, ...tenantErrorsWith(403, 404) },
        detail: appLevel(
          detail(
            'notify',
            'Send a notification (API key only; X-User-Id optional)',
            'Sends an app-defined event (topic + JSON payload) to users, to the members of a room, and/or to the subscribers of the topic. Acts for the parent app: the API key alone is enough (a user token gets 403). An X-User-Id, when sent, limits `room_id` to rooms that user can see. Costs one rate-limit token per started 100 distinct recipients, taken before anything is stored.',
            appSecurity,
          ),
        ),
      },
    )
    .post(
      '/v1/subscriptions',
      async ({ request, body, set }) => {
        const r = await notifications.subscribe(actorOf(deps, request), body)
        set.status = r.created ? 201 : 200 // the same topic and endpoint again answers the existing one
        return r.subscription
      },
      {
        body: SubscribeBody,
        response: {
          200: { ...Subscription, description: 'The caller already had this subscription: here it is.' },
          201: { ...Subscription, description: 'Subscribed.' },
          ...tenantErrorsWith(403),
        },
        detail: detail(
          'subscribe',
          'Subscribe the caller to a topic (an endpoint needs the API key)',
          'Subscribes the calling user to a topic, delivered over WebSocket, or with `endpoint` to that https URL as a webhook. A subscription with an endpoint acts for the parent app: it needs the API key (a user token gets 403).',
        ),
      },
    )
    .get('/v1/subscriptions', ({ request }) => notifications.subscriptions(actorOf(deps, request)), {
      response: { 200: SubscriptionList, ...tenantErrorsWith() },
      detail: detail('listSubscriptions', "The caller's subscriptions", 'Every topic subscription of the calling user, with its endpoint if it has one.'),
    })
    .delete(
      '/v1/subscriptions/:subscription_id',
      async ({ request, params, set }) => {
        await notifications.unsubscribe(actorOf(deps, request), params.subscription_id)
        set.status = 204
      },
      {
        params: t.Object({ subscription_id: PathId('The subscription (sub_…).', EX.subscriptionId) }),
        response: { 204: t.Void({ description: 'Deleted.' }), ...tenantErrorsWith(404) },
        detail: detail('unsubscribe', 'Delete one of your subscriptions', "Deletes a subscription of the calling user; anyone else's answers 404."),
      },
    )
}
