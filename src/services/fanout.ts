// Live fan-out (SPEC §5): each domain event becomes a server frame on its topic, published through the
// broker to the sockets of this instance and (with Redis) every other one.

import type { Broker } from '../broker/types'
import { topics } from '../broker/topics'
import { changeFrame, memberFrame, messageFrame, notificationFrame, readUpdatedFrame, type ServerFrame } from '../schemas/server-frames'
import type { Subscriber } from './events'

export function realtimeFanout(broker: Broker): Subscriber {
  const room = topics.room
  return {
    name: 'realtime',
    handlers: {
      'message.created': (e) => broker.publish(room(e.tenantId, e.message.room_id), messageFrame('message', e.message)),
      'message.updated': (e) => broker.publish(room(e.tenantId, e.message.room_id), changeFrame(e.message, e.change)),
      'message.deleted': (e) => broker.publish(room(e.tenantId, e.message.room_id), changeFrame(e.message, e.change)),
      // No frame: the members' live sockets just start receiving the room.
      'room.created': (e) => {
        for (const u of e.memberIds) broker.joinRoom(e.tenantId, u, e.room.room_id)
      },
      'member.added': (e) => {
        broker.joinRoom(e.tenantId, e.userId, e.roomId) // subscribe first: the added user gets their own event
        broker.publish(room(e.tenantId, e.roomId), memberFrame('member.joined', e.roomId, e.userId, e.role))
      },
      'member.removed': (e) => {
        // The leaver is still subscribed here: they get it too, then stop receiving the room.
        broker.publish(room(e.tenantId, e.roomId), memberFrame('member.left', e.roomId, e.userId, e.role))
        broker.leaveRoom(e.tenantId, e.userId, e.roomId)
      },
      'read.updated': (e) => {
        const topic = e.audience === 'room' ? room(e.tenantId, e.roomId) : topics.user(e.tenantId, e.userId)
        const frame = readUpdatedFrame(e.roomId, e.userId, e.seq)
        if (e.answered) broker.publishFrom(e.answered, topic, frame)
        else broker.publish(topic, frame)
      },
      'notification.created': (e) => {
        const frame = notificationFrame(e.notification)
        for (const u of e.recipients) broker.publish(topics.user(e.tenantId, u), frame)
      },
      'presence.changed': (e) => {
        const frame: ServerFrame<'presence.update'> = { type: 'presence.update', user_id: e.userId, status: e.status }
        broker.publishToUsers(e.tenantId, e.audience, frame) // once per connection, however many rooms they share
      },
    },
  }
}
