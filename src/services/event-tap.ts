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

/** Maps room frames to tenant webhook events (SPEC §6) and marks rooms for redelivery. */
export function roomFrameConsumers(webhooks: WebhookService, redelivery: Redelivery): RoomFrameListener {
  return (tenantId, frame) => {
    switch (frame.type) {
      case 'message':
        redelivery.markRoom(tenantId, frame.room_id as string)
        return webhooks.messageCreated(tenantId, withoutType(frame) as unknown as Message)
      case 'message.updated':
      case 'message.deleted':
        return webhooks.emit(tenantId, frame.type, withoutType(frame))
      case 'member.joined':
        return webhooks.emit(tenantId, 'member.added', { room_id: frame.room_id, user_id: frame.user_id, role: frame.role })
      case 'member.left':
        return webhooks.emit(tenantId, 'member.removed', { room_id: frame.room_id, user_id: frame.user_id, role: frame.role })
    }
  }
}
