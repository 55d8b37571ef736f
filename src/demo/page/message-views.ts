// The demo page's messages: the open room's list, the thread beside it, the pins and who is typing.

import type { Message } from '../../../sdk/src/index'
import type { createAttachments } from './attachments'
import { $, h, rerender } from './dom'
import { reportControl, type ModerationContext } from './moderation'
import { actionBar, reactionBar, type MessageActions } from './rich'
import type { PageState } from './state'

export interface MessageViewDeps {
  attachments: ReturnType<typeof createAttachments>
  actions: MessageActions
  saveEdit(m: Message, content: string): Promise<void>
  /** The moderation controls' context for the open room (null when none is open). */
  moderation(): ModerationContext | null
}

export function createMessageViews(state: PageState, { attachments, actions, saveEdit, moderation }: MessageViewDeps) {
  function renderMessages(scroll: boolean) {
    const list = $('messages')
    const sorted = [...state.messages.values()].sort((a, b) => a.seq - b.seq)
    rerender(list, sorted.map((m) => renderMessage(m, false)))
    if (scroll) list.scrollTop = list.scrollHeight
  }

  function renderMessage(m: Message, inThread: boolean): HTMLElement {
    const mine = m.sender_id === state.me
    const mentionsMe = m.mentions.includes(state.me)
    const li = h('li', {
      'data-seq': String(m.seq),
      'data-message-id': m.message_id,
      'data-sender': m.sender_id,
      'data-rev': String(m.rev),
      class: [mine ? 'mine' : '', m.deleted_at ? 'deleted' : '', mentionsMe ? 'mention-me' : '', m.pinned_at ? 'pinned' : ''].join(' ').trim() || undefined,
    })
    const time = new Date(m.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    const meta = h(
      'div',
      { class: 'meta' },
      h('span', { class: 'sender' }, m.sender_id),
      h('span', {}, time),
      m.edited_at && !m.deleted_at ? h('span', { class: 'edited' }, '(edited)') : null,
      m.pinned_at ? h('span', { class: 'pin-badge', title: `pinned by ${m.pinned_by}` }, `📌 pinned by ${m.pinned_by}`) : null,
      mentionsMe && !m.deleted_at ? h('span', { class: 'mention-badge' }, 'mentions you') : null,
    )
    if (state.editing === m.message_id) {
      const input = h('input', { class: 'edit-input', value: m.content, 'aria-label': 'edit message' })
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') {
          state.editing = null
          renderMessages(false)
        } else if (ev.key === 'Enter') {
          ev.preventDefault()
          void saveEdit(m, input.value)
        }
      })
      li.append(meta, input)
      queueMicrotask(() => input.focus())
      return li
    }
    if (mine && !m.deleted_at) {
      const edit = h('button', { class: 'link edit', type: 'button', 'data-focus': `${m.message_id}:edit`, 'aria-label': 'edit this message' }, 'edit')
      edit.addEventListener('click', () => {
        state.editing = m.message_id
        renderMessages(false)
      })
      meta.append(edit)
    }
    const ctx = moderation()
    if (!mine && !m.deleted_at && ctx) meta.append(reportControl(m, ctx))
    li.append(meta, h('div', { class: 'content' }, m.deleted_at ? 'message deleted' : m.content))
    if (!m.deleted_at && m.attachments.length) li.append(h('div', { class: 'attachments' }, ...m.attachments.map(attachments.view)))
    if (!m.deleted_at) li.append(reactionBar(m, actions), actionBar(m, actions, inThread))
    return li
  }

  function renderThread(scroll: boolean) {
    const root = state.thread ? state.messages.get(state.thread) : undefined
    $('thread-root').replaceChildren(...(root ? [renderMessage(root, true)] : []))
    const list = $('thread-messages')
    rerender(list, [...state.replies.values()].sort((a, b) => a.seq - b.seq).map((m) => renderMessage(m, true)))
    if (scroll) list.scrollTop = list.scrollHeight
  }

  function renderPins() {
    $('pins').hidden = state.pins.length === 0
    $('pin-list').replaceChildren(
      ...state.pins.map((m) => h('li', { 'data-message-id': m.message_id }, h('span', { class: 'sender' }, `${m.sender_id}: `), m.content)),
    )
  }

  function renderTyping() {
    const users = state.current ? [...(state.typing.get(state.current)?.keys() ?? [])] : []
    $('typing').textContent = users.length === 0 ? '' : users.length === 1 ? `${users[0]} is typing…` : `${users.join(', ')} are typing…`
  }

  return { renderMessages, renderMessage, renderThread, renderPins, renderTyping }
}
