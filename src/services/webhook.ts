// Tenant webhooks (SPEC §6): turns domain events into signed outbox deliveries for the tenant's URL.

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import { newId } from '../ids'
import type { Message } from '../schemas/message'
import type { WebhookEvent } from '../schemas/webhook'
import type { AuthTenant, TenantService } from './tenant'
import type { Outbox } from './outbox'
import type { EventOf, Subscriber } from './events'

export type { WebhookEvent }

const MAX_OFFLINE_IDS = 1000

type Deps = {
  store: Store
  clock: Clock
  outbox: Outbox
  tenants: Pick<TenantService, 'authById'>
  /** True while the user has a live connection (for offline_user_ids). */
  isConnected: (tenantId: string, userId: string) => boolean | Promise<boolean>
}

export function createWebhookService({ store, clock, outbox, tenants, isConnected }: Deps) {
  // Tenants by id for the event path; evicted on every tenant change (forgetTenant) so a new
  // webhook_url applies at once. Promises are cached, so events of one tenant keep their order
  // while the lookup is in flight.
  const cache = new Map<string, Promise<AuthTenant | null>>()
  const tenantOf = (tenantId: string) => {
    let t = cache.get(tenantId)
    if (!t) {
      if (cache.size > 10_000) cache.clear()
      cache.set(tenantId, (t = tenants.authById(tenantId)))
    }
    return t
  }

  async function wants(tenantId: string, type: WebhookEvent): Promise<AuthTenant | null> {
    const t = await tenantOf(tenantId)
    if (!t?.config.webhook_url || !t.config.webhook_events.includes(type)) return null
    return t
  }

  function emit(tenant: AuthTenant, type: WebhookEvent, data: unknown) {
    const eventId = newId('evt')
    const body = JSON.stringify({ type, timestamp: new Date(clock.now()).toISOString(), tenant_id: tenant.tenant_id, data })
    void outbox.enqueue({ tenant_id: tenant.tenant_id, kind: 'webhook', url: tenant.config.webhook_url!, event_id: eventId, ref_id: eventId, body })
  }

  return {
    /** A tenant changed: its next event reads it afresh. */
    forgetTenant(tenantId: string) {
      cache.delete(tenantId)
    },

    /** Emits `type` for the tenant when its webhook_url is set and the event is in webhook_events. */
    emit(tenantId: string, type: WebhookEvent, data: unknown) {
      void wants(tenantId, type).then((t) => t && emit(t, type, data))
    },

    /**
     * message.created with `offline_user_ids`: computed after the commit and off the send path
     * (on the next macrotask), at most 1,000 members without a live connection.
     */
    messageCreated(tenantId: string, message: Message) {
      void wants(tenantId, 'message.created').then((t) => {
        if (!t) return
        setImmediate(async () => {
          const offline: string[] = []
          for (const u of await store.members.userIds(message.room_id)) {
            if (offline.length >= MAX_OFFLINE_IDS) break
            if (!(await isConnected(tenantId, u))) offline.push(u)
          }
          emit(t, 'message.created', { ...message, offline_user_ids: offline })
        })
      })
    },
  }
}

export type WebhookService = ReturnType<typeof createWebhookService>

/**
 * A change to an existing message as its tenant webhook (SPEC §11.7): a reaction as reaction.added /
 * reaction.removed `{room_id, message_id, seq, rev, user_id, key}`, a pin as message.pinned /
 * message.unpinned with the message; an edit or a reply as message.updated and a delete as
 * message.deleted, with the message and its `change` (one webhook per change, never two).
 */
function changeWebhook(webhooks: WebhookService, e: EventOf<'message.updated' | 'message.deleted'>) {
  const { message, change } = e
  switch (change.kind) {
    case 'reaction.added':
    case 'reaction.removed': {
      const { room_id, message_id, seq, rev } = message
      return webhooks.emit(e.tenantId, change.kind, { room_id, message_id, seq, rev, user_id: change.user_id, key: change.key })
    }
    case 'pinned':
    case 'unpinned':
      return webhooks.emit(e.tenantId, change.kind === 'pinned' ? 'message.pinned' : 'message.unpinned', message)
    default:
      return webhooks.emit(e.tenantId, e.type, { ...message, change })
  }
}

/** Domain events → tenant webhook events (SPEC §6); a member event carries room, user and role. */
export function webhookEvents(webhooks: WebhookService): Subscriber {
  const member = (e: { roomId: string; userId: string; role: string }) => ({ room_id: e.roomId, user_id: e.userId, role: e.role })
  return {
    name: 'webhooks',
    handlers: {
      'message.created': (e) => webhooks.messageCreated(e.tenantId, e.message),
      'message.updated': (e) => changeWebhook(webhooks, e),
      'message.deleted': (e) => changeWebhook(webhooks, e),
      'room.created': (e) => webhooks.emit(e.tenantId, 'room.created', e.room),
      'member.added': (e) => webhooks.emit(e.tenantId, 'member.added', member(e)),
      'member.removed': (e) => webhooks.emit(e.tenantId, 'member.removed', member(e)),
      'notification.created': (e) => webhooks.emit(e.tenantId, 'notification.created', e.notification),
      'member.banned': (e) => webhooks.emit(e.tenantId, 'member.banned', e.ban),
      'member.unbanned': (e) => webhooks.emit(e.tenantId, 'member.unbanned', { room_id: e.roomId, user_id: e.userId }),
      'member.muted': (e) => webhooks.emit(e.tenantId, 'member.muted', e.mute),
      'member.unmuted': (e) => webhooks.emit(e.tenantId, 'member.unmuted', { room_id: e.roomId, user_id: e.userId }),
      'user.banned': (e) => webhooks.emit(e.tenantId, 'user.banned', e.ban),
      'user.unbanned': (e) => webhooks.emit(e.tenantId, 'user.unbanned', { user_id: e.userId }),
      'report.created': (e) => webhooks.emit(e.tenantId, 'report.created', e.report),
      'report.resolved': (e) => webhooks.emit(e.tenantId, 'report.resolved', e.report),
      'tenant.changed': (e) => webhooks.forgetTenant(e.tenantId),
    },
  }
}
