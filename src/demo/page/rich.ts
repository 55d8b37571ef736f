// Rich messages on the demo page (SPEC §11): the reaction buttons, the per-message actions (reply,
// pin, delete), mentions typed as @user, and keeping copies and the pin list current.

import type { ChangedMessage, Message } from '../../../sdk/src/index'
import { h } from './dom'

/** The emoji offered as one-click reactions (any other key already on a message is shown too). */
export const REACTION_KEYS = ['👍', '❤️', '😂', '🎉']

/** The members named as @user in a text (the mentions a send or an edit carries). */
export function mentionsIn(content: string, members: string[]): string[] {
  const names = new Set(members)
  const found = new Set<string>()
  for (const [, name] of content.matchAll(/@([\w.:-]+)/g)) if (names.has(name!)) found.add(name!)
  return [...found]
}

/** Puts a copy into a map unless the one held is as new (a REST page and a live change can cross). */
export function keepNewer(map: Map<string, Message>, m: Message): boolean {
  const held = map.get(m.message_id)
  if (held && held.rev > m.rev) return false
  map.set(m.message_id, m)
  return true
}

/** The room's pin list after a change: newest pin first, unpinned and deleted messages out. */
export function pinsAfter(pins: Message[], m: Message | ChangedMessage): Message[] {
  if (!m.pinned_at || m.deleted_at) return pins.filter((p) => p.message_id !== m.message_id)
  if (pins.some((p) => p.message_id === m.message_id)) return pins.map((p) => (p.message_id === m.message_id ? m : p))
  return [m, ...pins]
}

export interface MessageActions {
  me: string
  /** Whether the viewer may pin here (the server still decides: a refusal shows as an error). */
  canPin: boolean
  react(m: Message, key: string, add: boolean): void
  openThread(m: Message): void
  pin(m: Message, on: boolean): void
  remove(m: Message): void
}

const focusKey = (m: Message, what: string) => `${m.message_id}:${what}`

/** The reaction buttons of a message: the offered emoji and any other key in use, with counts. */
export function reactionBar(m: Message, a: MessageActions): HTMLElement {
  const keys = [...REACTION_KEYS, ...m.reactions.map((r) => r.key).filter((k) => !REACTION_KEYS.includes(k))]
  return h(
    'div',
    { class: 'reactions', role: 'group', 'aria-label': 'reactions' },
    ...keys.map((key) => {
      const r = m.reactions.find((x) => x.key === key)
      const mine = r?.user_ids.includes(a.me) ?? false
      const count = r?.count ?? 0
      const b = h(
        'button',
        {
          type: 'button',
          class: `reaction${count ? ' used' : ''}`,
          'data-key': key,
          'data-count': String(count),
          'data-focus': focusKey(m, `react:${key}`),
          'aria-pressed': mine ? 'true' : 'false',
          'aria-label': `${mine ? 'remove your' : 'react with'} ${key}${count ? `, ${count} so far` : ''}`,
        },
        count ? `${key} ${count}` : key,
      )
      b.addEventListener('click', () => a.react(m, key, !mine))
      return b
    }),
  )
}

/** Reply (or open the thread), pin or unpin, delete (your own messages). */
export function actionBar(m: Message, a: MessageActions, inThread: boolean): HTMLElement {
  const bar = h('div', { class: 'actions' })
  const button = (what: string, label: string, text: string, run: () => void) => {
    const b = h('button', { type: 'button', class: `link ${what}`, 'data-focus': focusKey(m, what), 'aria-label': label }, text)
    b.addEventListener('click', run)
    bar.append(b)
  }
  if (!inThread && !m.parent_id) {
    const n = m.reply_count
    button('thread', n ? `open the thread: ${n} ${n === 1 ? 'reply' : 'replies'}` : 'reply in a thread', n ? `${n} ${n === 1 ? 'reply' : 'replies'}` : 'reply', () => a.openThread(m))
  }
  if (a.canPin) button('pin', m.pinned_at ? 'unpin this message' : 'pin this message', m.pinned_at ? 'unpin' : 'pin', () => a.pin(m, !m.pinned_at))
  if (m.sender_id === a.me) button('delete', 'delete this message', 'delete', () => a.remove(m))
  return bar
}
