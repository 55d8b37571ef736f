// Consumers that react to what clients see (tenant webhooks, redelivery) read the same frames: a
// Broker decorator that forwards every publish and hands room frames to the consumers afterwards.

import type { Broker } from '../broker/types'
import { tenantOfTopic } from '../broker/topics'
import type { Message } from '../schemas/message'
import type { ServerFrame } from '../schemas/server-frames'
import type { Redelivery } from './redelivery'
import type { WebhookService } from './webhook'

export type RoomFrameListener = (tenantId: string, frame: ServerFrame) => void

export function withEventTap<B extends Broker>(inner: B, listener: () => RoomFrameListener | null): B {
  return {
    ...inner,
    publish(topic: string, frame: ServerFrame) {
      inner.publish(topic, frame)
      const l = listener()
      const tenantId = l && topic.includes(':room:') ? tenantOfTopic(topic) : null
      if (l && tenantId) l(tenantId, frame)
    },
  }
}

const withoutType = (f: ServerFrame) => {
  const { type: _type, ...rest } = f
  return rest
}

/**
 * A change to an existing message as its tenant webhook (SPEC §11.7): a reaction as reaction.added /
 * reaction.removed `{room_id, message_id, seq, rev, user_id, key}`, a pin as message.pinned /
 * message.unpinned with the message, an edit or a reply as message.updated and a delete as
 * message.deleted with the message and its `change`.
 */
function changeWebhook(webhooks: WebhookService, tenantId: string, frame: ServerFrame<'message.updated' | 'message.deleted'>) {
  const { type: _type, change, ...message } = frame
  switch (change.kind) {
    case 'reaction.added':
    case 'reaction.removed': {
      const { room_id, message_id, seq, rev } = message
      return webhooks.emit(tenantId, change.kind, { room_id, message_id, seq, rev, user_id: change.user_id, key: change.key })
    }
    case 'pinned':
    case 'unpinned':
      return webhooks.emit(tenantId, change.kind === 'pinned' ? 'message.pinned' : 'message.unpinned', message)
    default:
      return webhooks.emit(tenantId, frame.type, { ...message, change })
  }
}

/** Maps room frames to tenant webhook events (SPEC §6) and marks rooms for redelivery. */
export function roomFrameConsumers(webhooks: WebhookService, redelivery: Redelivery): RoomFrameListener {
  return (tenantId, frame) => {
    switch (frame.type) {
      case 'message':
        redelivery.markRoom(tenantId, frame.room_id as string)
        return webhooks.messageCreated(tenantId, withoutType(frame) as unknown as Message)
      case 'message.updated':
      case 'message.deleted':
        return changeWebhook(webhooks, tenantId, frame)
      case 'member.joined':
        return webhooks.emit(tenantId, 'member.added', { room_id: frame.room_id, user_id: frame.user_id, role: frame.role })
      case 'member.left':
        return webhooks.emit(tenantId, 'member.removed', { room_id: frame.room_id, user_id: frame.user_id, role: frame.role })
    }
  }
}
