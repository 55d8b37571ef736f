// The room change feed (SPEC §11.1): what a change to an existing message is, and the feed's shapes.

import { Type as t, type Static } from '@sinclair/typebox'
import { QueryInteger } from './common'
import { EX, exampleMessage } from './examples'
import { Message } from './message'

export const CHANGE_KINDS = ['edited', 'deleted', 'reaction.added', 'reaction.removed', 'pinned', 'unpinned', 'reply'] as const
export type ChangeKind = (typeof CHANGE_KINDS)[number]

/** Who changed a message and how; on message.updated / message.deleted frames and webhooks. */
export const MessageChange = t.Object(
  {
    kind: t.Union(
      CHANGE_KINDS.map((k) => t.Literal(k)),
      { description: 'edited, deleted, reaction.added, reaction.removed, pinned, unpinned or reply (a reply was posted to it)' },
    ),
    user_id: t.String({ description: 'who made the change (the replier for `reply`)' }),
    key: t.Optional(t.String({ description: 'the reaction key, for reaction.added / reaction.removed' })),
  },
  { additionalProperties: false },
)
export type MessageChange = { kind: ChangeKind; user_id: string; key?: string }

export const ChangesQuery = t.Object({
  after_rev: t.Optional(QueryInteger({ description: "The room's last_rev you hold: messages changed after it.", minimum: 0, default: 0, examples: [7] })),
  limit: t.Optional(QueryInteger({ description: 'Page size.', minimum: 1, maximum: 200, default: 50, examples: [50] })),
})
export type ChangesQuery = Static<typeof ChangesQuery>

export const ChangesPage = t.Object(
  {
    messages: t.Array(Message, { description: 'each message changed after after_rev once, in its current state, in ascending rev' }),
    last_rev: t.Integer({ minimum: 0, description: "the room's change counter when the page was read: keep it when has_more is false" }),
    has_more: t.Boolean({ description: "more changes follow: continue with after_rev = the last message's rev" }),
  },
  {
    examples: [
      {
        messages: [{ ...exampleMessage, rev: 8, content: 'The new mockups are up (v2).', edited_at: EX.later, reactions: [{ key: '👍', count: 1, user_ids: ['bob'] }] }],
        last_rev: 8,
        has_more: false,
      },
    ],
  },
)
export type ChangesPage = Static<typeof ChangesPage>
