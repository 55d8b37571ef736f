// Notifications and subscriptions (SPEC §4, §6): stored first, then delivered live to online
// recipients, on connect to the others (until notification.ack or TTL), and to subscribed endpoints.

import { isoNow, type Clock } from '../clock'
import type { Config } from '../config'
import type { Store } from '../db/types'
import type { SubscriptionRow } from '../db/rows'
import { forbidden, invalid, notFound } from '../errors'
import { newId } from '../ids'
import type { NotifyBody, SubscribeBody } from '../schemas/notification'
import { notificationFrame, type ServerFrame } from '../schemas/server-frames'
import { roomFor } from './access'
import { asUser, type Actor, type AppCaller } from './actor'
import { isJsonObject } from './input'
import type { Outbox } from './outbox'
import { outboundBlockReason, parseOutboundUrl } from './outbound-url'
import type { EventBus, NotificationWire } from './events'

type Deps = { store: Store; clock: Clock; config: Config; events: EventBus; outbox: Outbox }

const toSubscription = (s: SubscriptionRow) => ({ subscription_id: s.subscription_id, topic: s.topic, endpoint: s.endpoint, created_at: s.created_at })

export function createNotificationService({ store, clock, config, events, outbox }: Deps) {
  const keyOnly = (actor: AppCaller, what: string) => {
    if (actor.via !== 'key') throw forbidden(`${what} needs the API key (a user token may not do this)`)
  }

  return {
    /**
     * POST /v1/notify: API key only; 202 once stored. `recipients` counts distinct users. A `room_id`
     * is checked as the calling user sees it when one is named, else it must be the tenant's.
     * `beforeStore` runs once the recipients are counted and may refuse (the cost of the fan-out,
     * services/cost.ts): a refused notification stores nothing.
     */
    async notify(actor: AppCaller, body: NotifyBody, beforeStore?: (recipients: number) => Promise<void>) {
      keyOnly(actor, 'POST /v1/notify')
      if (!isJsonObject(body.payload)) throw invalid('payload', 'payload must be a JSON object')
      const payload = JSON.stringify(body.payload)
      if (Buffer.byteLength(payload) > config.MAX_NOTIFICATION_BYTES)
        throw invalid('payload', `payload must be at most ${config.MAX_NOTIFICATION_BYTES} bytes serialized`)
      const { user_ids, room_id, topic_subscribers } = body.targets
      if (!user_ids?.length && !room_id && !topic_subscribers) throw invalid('targets', 'targets must name at least one of user_ids, room_id or topic_subscribers: true')
      const tid = actor.tenant.tenant_id
      const recipients = new Set(user_ids ?? [])
      if (room_id) {
        const user = asUser(actor)
        if (user) await roomFor(store, user, room_id, 'member')
        else if (!(await store.rooms.get(tid, room_id))) throw notFound('room')
        for (const u of await store.members.userIds(room_id)) recipients.add(u)
      }
      if (topic_subscribers) for (const u of await store.notifications.subscribersOf(tid, body.topic)) recipients.add(u)
      await beforeStore?.(recipients.size)

      const now = clock.now()
      const n = {
        notification_id: newId('ntf'),
        tenant_id: tid,
        topic: body.topic,
        payload,
        created_at: new Date(now).toISOString(),
        expires_at: now + config.NOTIFICATION_TTL_MS,
      }
      await store.notifications.create(n, [...recipients])
      const wire: NotificationWire = { notification_id: n.notification_id, topic: n.topic, payload: body.payload, created_at: n.created_at }
      // Endpoint subscribers of the topic among the recipients get an HTTP call each (signed like webhooks).
      const endpointBody = JSON.stringify(notificationFrame(wire))
      for (const s of await store.notifications.endpointsFor(tid, body.topic)) {
        if (!recipients.has(s.user_id)) continue
        void outbox.enqueue({ tenant_id: tid, kind: 'notification', url: s.endpoint!, event_id: newId('evt'), ref_id: n.notification_id, body: endpointBody })
      }
      // Emitted once the endpoint calls are queued, so the tenant webhook queues behind them.
      events.emit({ type: 'notification.created', tenantId: tid, notification: wire, recipients: [...recipients] })
      return { notification_id: n.notification_id, recipients: recipients.size, created_at: n.created_at }
    },

    /** Frames for the user's pending notifications (sent on connect, SPEC §5 step 4). */
    async pendingFrames(actor: Actor): Promise<ServerFrame<'notification'>[]> {
      return (await store.notifications.pendingFor(actor.tenant.tenant_id, actor.userId, clock.now())).map((n) =>
        notificationFrame({ notification_id: n.notification_id, topic: n.topic, payload: JSON.parse(n.payload), created_at: n.created_at }),
      )
    },

    /** notification.ack: delivered to this user; unknown or already acked → NOT_FOUND. */
    async ack(actor: Actor, notificationId: string) {
      if (!await store.notifications.ack(actor.tenant.tenant_id, actor.userId, notificationId)) throw notFound('notification')
    },

    async subscribe(actor: Actor, body: SubscribeBody) {
      let endpoint: string | null = null
      if (body.endpoint !== undefined) {
        keyOnly(actor, 'a subscription with an endpoint')
        endpoint = parseOutboundUrl('endpoint', body.endpoint, config.ALLOW_HTTP_WEBHOOKS).href
        const blocked = await outboundBlockReason(endpoint, config.ALLOW_HTTP_WEBHOOKS)
        if (blocked) throw invalid('endpoint', 'endpoint must resolve to a public address')
      }
      const r = await store.notifications.subscribe({
        subscription_id: newId('sub'),
        tenant_id: actor.tenant.tenant_id,
        user_id: actor.userId,
        topic: body.topic,
        endpoint,
        created_at: isoNow(clock),
      })
      return { created: r.created, subscription: toSubscription(r.row) }
    },

    subscriptions: async (actor: Actor) => ({
      subscriptions: (await store.notifications.subscriptionsOf(actor.tenant.tenant_id, actor.userId)).map(toSubscription),
    }),

    async unsubscribe(actor: Actor, id: string) {
      if (!await store.notifications.unsubscribe(actor.tenant.tenant_id, actor.userId, id)) throw notFound('subscription')
    },
  }
}

export type NotificationService = ReturnType<typeof createNotificationService>
