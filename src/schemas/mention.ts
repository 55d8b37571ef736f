// Mentions (SPEC §11.5): the caller's mentions across their rooms.

import { Type as t, type Static } from '@sinclair/typebox'
import { Nullable } from './common'
import { EX, exampleMessage } from './examples'
import { Message } from './message'

export const Mention = t.Object({ room_id: t.String(), message: Message })
export type Mention = Static<typeof Mention>

export const MentionList = t.Object(
  {
    mentions: t.Array(Mention, { description: 'messages that mention the caller in rooms they are a member of, newest first' }),
    next_cursor: Nullable(t.String({ description: 'pass as `cursor` for the next page; null on the last page' })),
  },
  { examples: [{ mentions: [{ room_id: EX.roomId, message: { ...exampleMessage, content: '@bob can you look?', mentions: ['bob'] } }], next_cursor: null }] },
)
export type MentionList = Static<typeof MentionList>
