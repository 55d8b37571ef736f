// The demo page's room list, room header and member list.

import { $, h } from './dom'
import { memberControls, type ModerationContext } from './moderation'
import { roomName, type PageState } from './state'

export interface RoomViewDeps {
  openRoom(roomId: string): Promise<void>
  /** The moderation controls' context for the open room (null when none is open). */
  moderation(): ModerationContext | null
  renderMessages(scroll: boolean): void
  renderTyping(): void
}

export function createRoomViews(state: PageState, { openRoom, moderation, renderMessages, renderTyping }: RoomViewDeps) {
  const dot = (user: string) => h('span', { class: `dot ${state.presence.get(user) === 'online' ? 'online' : 'offline'}`, 'data-user': user, title: state.presence.get(user) ?? 'unknown' })

  function renderRooms() {
    const list = $('rooms')
    const views = [...state.rooms.values()].sort((a, b) => (a.activity < b.activity ? 1 : a.activity > b.activity ? -1 : 0))
    list.replaceChildren(
      ...views.map((v) => {
        const unread = v.room.room_id === state.current && document.visibilityState !== 'hidden' ? 0 : Math.max(0, v.lastSeq - v.lastRead)
        const li = h(
          'li',
          { 'data-room-id': v.room.room_id, class: v.room.room_id === state.current ? 'active' : undefined },
          v.peer ? dot(v.peer) : null,
          h('span', { class: 'name' }, roomName(v)),
          h('span', { class: 'kind' }, v.room.type),
          h('span', { class: 'mentions', 'data-count': String(v.mentions), title: 'unread mentions of you', 'aria-label': `${v.mentions} unread mentions` }, `@${v.mentions}`),
          h('span', { class: 'unread', 'data-count': String(unread) }, String(unread)),
        )
        li.addEventListener('click', () => void openRoom(v.room.room_id))
        return li
      }),
    )
  }

  function renderRoom() {
    const v = state.current ? state.rooms.get(state.current) : undefined
    $('room-title').textContent = v ? roomName(v) : 'Pick a room'
    $<HTMLInputElement>('text').disabled = !v
    $<HTMLButtonElement>('send').disabled = !v
    if (!v) state.members = []
    renderMembers()
    renderMessages(false)
    renderTyping()
  }

  function renderMembers() {
    const ctx = moderation()
    $('members').replaceChildren(
      ...state.members.map((m) =>
        h('li', { 'data-user': m.user_id }, dot(m.user_id), m.user_id === state.me ? `${m.user_id} (you)` : m.user_id, ...(ctx ? memberControls(m, ctx) : [])),
      ),
    )
  }

  return { dot, renderRooms, renderRoom, renderMembers }
}
