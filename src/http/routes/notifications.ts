// POST /v1/notify and /v1/subscriptions (SPEC §4 Notifications).

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { NotifyBody, NotifyResult, SubscribeBody, Subscription, SubscriptionList } from '../../schemas/notification'
import type { NotificationService } from '../../services/notification'
import { actorOf, appLevel, callerOf, tenantSecurity, type RouteDeps } from '../deps'

export const notificationsRoutes = (deps: RouteDeps, notifications: NotificationService) => {
  const detail = (tag: string, summary: string) => ({ tags: [tag], summary, security: tenantSecurity })
  return new Elysia()
    .post(
      '/v1/notify',
      async ({ request, body, set }) => {
        const r = await notifications.notify(callerOf(deps, request), body)
        set.status = 202
        return r
      },
      { body: NotifyBody, response: { 202: NotifyResult, ...tenantErrors }, detail: appLevel(detail('notifications', 'Send a notification (API key only; X-User-Id optional)')) },
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
        response: { 200: Subscription, 201: Subscription, ...tenantErrors },
        detail: detail('notifications', 'Subscribe the caller to a topic (an endpoint needs the API key)'),
      },
    )
    .get('/v1/subscriptions', ({ request }) => notifications.subscriptions(actorOf(deps, request)), {
      response: { 200: SubscriptionList, ...tenantErrors },
      detail: detail('notifications', "The caller's subscriptions"),
    })
    .delete(
      '/v1/subscriptions/:subscription_id',
      async ({ request, params, set }) => {
        await notifications.unsubscribe(actorOf(deps, request), params.subscription_id)
        set.status = 204
      },
      {
        params: t.Object({ subscription_id: t.String() }),
        response: { 204: t.Void({ description: 'deleted' }), ...tenantErrors },
        detail: detail('notifications', 'Delete one of your subscriptions'),
      },
    )
}
