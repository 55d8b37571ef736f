// The demo page's live updates: what each SDK event changes in the page's state and which views it
// redraws; plus marking a room read and applying the answer to one of our own calls.

import type { ChangedMessage, ChatClient, Message } from '../../../sdk/src/index'
import { $ } from './dom'
import { keepNewer, pinsAfter } from './rich'
import { showError, type PageState } from './state'

export interface LiveDeps {
  loadRooms(): Promise<void>
  openRoom(roomId: string): Promise<void>
  loadMembers(roomId: string): Promise<void>
  renderRooms(): void
  renderRoom(): void
  renderMembers(): void
  renderMessages(scroll: boolean): void
  renderThread(scroll: boolean): void
  renderPins(): void
  renderTyping(): void
}

export function createLiveUpdates(state: PageState, d: LiveDeps) {
  const { loadRooms, openRoom, loadMembers, renderRooms, renderRoom, renderMembers, renderMessages, renderThread, renderPins, renderTyping } = d
  function wire(client: ChatClient) {
    client.on('state', (s) => {
      const el = $('conn')
      el.dataset.state = s
      el.textContent = s === 'open' ? 'connected' : s
    })
    client.on('synced', () => {
      // After a reconnect the counts may have moved while we were away; the SDK resumed the stream.
      if (state.rooms.size) void loadRooms()
    })
    client.on('epoch', () => {
      void loadRooms()
      if (state.current) void openRoom(state.current)
    })
    client.on('message', onMessage)
    client.on('message.updated', onMessageChanged)
    client.on('message.deleted', onMessageChanged)
    client.on('typing', ({ room_id, user_id, action }) => setTyping(room_id, user_id, action === 'start'))
    client.on('presence', ({ user_id, status }) => {
      state.presence.set(user_id, status)
      renderRooms()
      renderMembers()
    })
    client.on('read', ({ room_id, user_id, seq }) => {
      const v = state.rooms.get(room_id)
      if (v && user_id === state.me) {
        v.lastRead = Math.max(v.lastRead, seq)
        renderRooms()
      }
    })
    client.on('member.joined', ({ room_id, user_id }) => {
      if (user_id === state.me || !state.rooms.has(room_id)) void loadRooms()
      else if (room_id === state.current) void loadMembers(room_id)
    })
    client.on('member.left', ({ room_id, user_id }) => {
      if (user_id === state.me) {
        state.rooms.delete(room_id)
        if (state.current === room_id) state.current = null
        renderRooms()
        renderRoom()
      } else if (room_id === state.current) void loadMembers(room_id)
    })
    client.on('error', (e) => showError(e))
  }

  function onMessage(m: Message) {
    const v = state.rooms.get(m.room_id)
    if (!v) {
      void loadRooms() // a room we were just added to
      return
    }
    const fresh = m.seq > v.lastSeq
    v.lastSeq = Math.max(v.lastSeq, m.seq)
    v.room.last_message = m
    v.activity = m.created_at
    if (m.sender_id === state.me) v.lastRead = Math.max(v.lastRead, m.seq) // sending moves your own marker
    else if (fresh && m.mentions.includes(state.me) && m.seq > v.lastRead) v.mentions++
    setTyping(m.room_id, m.sender_id, false)
    if (m.room_id === state.current) {
      if (!m.parent_id) {
        keepNewer(state.messages, m)
        renderMessages(true)
      } else if (m.parent_id === state.thread) {
        keepNewer(state.replies, m)
        renderThread(true)
      }
      markRead(m.room_id, m.seq)
    }
    renderRooms()
  }

  /** Applies a copy of a message (a change from the SDK, or an answer to one of our own calls). */
  function onMessageChanged(m: Message | ChangedMessage) {
    if (m.room_id !== state.current) return
    if (state.messages.has(m.message_id) && keepNewer(state.messages, m)) renderMessages(false)
    if (state.replies.has(m.message_id) && keepNewer(state.replies, m)) renderThread(false)
    if (m.message_id === state.thread) renderThread(false)
    const pins = pinsAfter(state.pins, m)
    if (pins !== state.pins) {
      state.pins = pins
      renderPins()
    }
  }

  /** The answer to our own call: applied at once; the SDK then skips the frame of the same change. */
  function applyOwn(m: Message) {
    state.client?.noteMessage(m)
    onMessageChanged(m)
  }

  function markRead(roomId: string, seq: number) {
    const v = state.rooms.get(roomId)
    if (!v || seq <= v.lastRead || document.visibilityState === 'hidden') return
    v.lastRead = seq
    if (seq >= v.lastSeq) v.mentions = 0
    state.client?.markRead(roomId, seq).catch((e) => showError(e))
  }

  function setTyping(roomId: string, userId: string, on: boolean) {
    if (userId === state.me) return
    let users = state.typing.get(roomId)
    if (!users) state.typing.set(roomId, (users = new Map()))
    clearTimeout(users.get(userId))
    if (on) users.set(userId, setTimeout(() => setTyping(roomId, userId, false), 8000))
    else users.delete(userId)
    renderTyping()
  }

  return { wire, markRead, applyOwn }
}
