// The demo chat page: a user token in, rooms with unread counts, live messages, typing, presence,
// sending and editing; replies in a thread, reactions, pins and mentions (rich.ts); reporting and
// blocking (moderation.ts). Built for the browser by src/demo/bundle.ts; everything goes through the SDK.

import { ChatApiError, ChatClient, type ChangedMessage, type Member, type Message, type RoomListItem } from '../../../sdk/src/index'
import { $, h, rerender } from './dom'
import { actionBar, keepNewer, mentionsIn, pinsAfter, reactionBar, type MessageActions } from './rich'
import { loadBlocks, memberControls, reportControl, type ModerationContext } from './moderation'
import { createAttachments } from './attachments'

const TOKEN_KEY = 'chatapi.demo.token'

interface RoomView {
  room: RoomListItem
  lastSeq: number
  lastRead: number
  /** The other user of a dm. */
  peer?: string
  activity: string
  /** Messages above the read marker that mention the viewer. */
  mentions: number
}

const state = {
  client: null as ChatClient | null,
  me: '',
  rooms: new Map<string, RoomView>(),
  current: null as string | null,
  messages: new Map<string, Message>(),
  members: [] as Member[],
  presence: new Map<string, 'online' | 'offline'>(),
  typing: new Map<string, Map<string, ReturnType<typeof setTimeout>>>(),
  editing: null as string | null,
  /** The open thread: its top-level message, and its replies. */
  thread: null as string | null,
  replies: new Map<string, Message>(),
  pins: [] as Message[],
  /** Users the caller blocks (SPEC §14). */
  blocked: new Set<string>(),
}

/** What the moderation controls need about the open room (null when none is open). */
function moderation(): ModerationContext | null {
  if (!state.client || !state.current) return null
  const roomId = state.current
  return {
    client: state.client,
    me: state.me,
    roomId,
    myRole: state.members.find((m) => m.user_id === state.me)?.role,
    blocked: state.blocked,
    showError,
    refresh: () => void loadMembers(roomId),
  }
}

function showError(e: unknown, where = 'error') {
  const text = e instanceof ChatApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)
  $(where).textContent = text
  if (text) setTimeout(() => ($(where).textContent === text ? ($(where).textContent = '') : null), 6000)
}

const attachments = createAttachments(h, () => state.client, (e) => showError(e))

// ---------------------------------------------------------------------------------------------
// Signing in

function decodeSub(token: string): string | null {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(atob(part)).sub ?? null
  } catch {
    return null
  }
}

async function signIn(token: string) {
  token = token.trim()
  if (/^sk_/.test(token)) throw new Error('That is an API key. Never put an API key in a browser: mint a user token with it on your backend.')
  if (token.split('.').length !== 3 || !decodeSub(token)) throw new Error('That does not look like a user token (a JWT with a sub claim).')
  const client = new ChatClient({ baseUrl: location.origin, token })
  state.client = client
  wire(client)
  $('conn').textContent = 'connecting'
  await client.connect()
  sessionStorage.setItem(TOKEN_KEY, token)
  state.me = client.userId ?? decodeSub(token)!
  $('me').textContent = `signed in as ${state.me}`
  $('login').hidden = true
  $('app').hidden = false
  $('signout').hidden = false
  state.blocked = await loadBlocks(client)
  await loadRooms()
  const first = [...state.rooms.keys()][0]
  if (first && !state.current) await openRoom(first)
}

function signOut() {
  state.client?.close()
  state.client = null
  sessionStorage.removeItem(TOKEN_KEY)
  location.reload()
}

// ---------------------------------------------------------------------------------------------
// Events from the SDK

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

// ---------------------------------------------------------------------------------------------
// Loading over REST

const peerOf = (r: RoomListItem) => {
  if (r.type !== 'dm' || !r.unique_key) return undefined
  const [a, b] = r.unique_key.slice(3).split('|')
  return a === state.me ? b : a
}

async function loadRooms() {
  const client = state.client
  if (!client) return
  const { rooms } = await client.rest.listRooms({ limit: 200 })
  const next = new Map<string, RoomView>()
  for (const r of rooms) {
    const old = state.rooms.get(r.room_id)
    const lastRead = Math.max(r.last_seq - r.unread_count, old?.lastRead ?? 0)
    next.set(r.room_id, {
      room: r,
      lastSeq: Math.max(r.last_seq, old?.lastSeq ?? 0),
      lastRead,
      peer: peerOf(r),
      activity: r.last_message?.created_at ?? r.created_at,
      mentions: r.room_id === state.current && lastRead >= r.last_seq ? 0 : r.unread_mentions,
    })
  }
  state.rooms = next
  const peers = [...next.values()].map((v) => v.peer).filter((p): p is string => !!p)
  if (peers.length) {
    try {
      const { presence } = await client.rest.presence(peers.slice(0, 100))
      for (const p of presence) state.presence.set(p.user_id, p.status)
    } catch {
      // presence may be off for this tenant (403): no dots then
    }
  }
  renderRooms()
}

async function openRoom(roomId: string) {
  const client = state.client
  if (!client) return
  state.current = roomId
  state.editing = null
  state.messages = new Map()
  state.pins = []
  closeThread()
  renderRooms()
  renderRoom()
  const [page, pins] = await Promise.all([
    client.rest.listMessages(roomId, { limit: 50, top_level: true }),
    client.rest.listPins(roomId),
    loadMembers(roomId),
  ])
  if (state.current !== roomId) return
  for (const m of page.messages) {
    client.noteMessage(m)
    keepNewer(state.messages, m)
  }
  state.pins = pins.messages
  renderMessages(true)
  renderPins()
  const last = page.messages.at(-1)
  if (last) markRead(roomId, Math.max(last.seq, state.rooms.get(roomId)?.lastSeq ?? 0))
  renderRooms()
  $<HTMLInputElement>('text').focus()
}

async function loadMembers(roomId: string) {
  const client = state.client
  if (!client) return
  try {
    const { members } = await client.rest.listMembers(roomId, { limit: 200 })
    if (state.current !== roomId) return
    state.members = members
    for (const m of members) if (m.online !== null && m.user_id !== state.me) state.presence.set(m.user_id, m.online ? 'online' : 'offline')
    state.presence.set(state.me, 'online')
    renderMembers()
  } catch (e) {
    showError(e)
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

const dot = (user: string) => h('span', { class: `dot ${state.presence.get(user) === 'online' ? 'online' : 'offline'}`, 'data-user': user, title: state.presence.get(user) ?? 'unknown' })

function roomName(v: RoomView) {
  return v.room.name ?? (v.peer ? v.peer : v.room.room_id)
}

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

/** In a group or channel the owner and admins pin; in a dm either member (SPEC §11.6). */
function canPin(): boolean {
  const v = state.current ? state.rooms.get(state.current) : undefined
  if (!v) return false
  if (v.room.type === 'dm') return true
  const role = state.members.find((x) => x.user_id === state.me)?.role
  return role === 'owner' || role === 'admin'
}

const actions: MessageActions = {
  get me() {
    return state.me
  },
  get canPin() {
    return canPin()
  },
  react(m, key, add) {
    const rest = state.client?.rest
    if (!rest) return
    ;(add ? rest.addReaction(m.room_id, m.message_id, key) : rest.removeReaction(m.room_id, m.message_id, key)).then(applyOwn, (e) => showError(e))
  },
  openThread(m) {
    void openThread(m.message_id)
  },
  pin(m, on) {
    const rest = state.client?.rest
    if (!rest) return
    ;(on ? rest.pin(m.room_id, m.message_id) : rest.unpin(m.room_id, m.message_id)).then(applyOwn, (e) => showError(e))
  },
  remove(m) {
    state.client?.rest.deleteMessage(m.room_id, m.message_id).catch((e) => showError(e))
  },
}

// ---------------------------------------------------------------------------------------------
// Threads and pins

async function openThread(parentId: string) {
  const client = state.client
  const roomId = state.current
  if (!client || !roomId) return
  state.thread = parentId
  state.replies = new Map()
  $('thread').hidden = false
  renderThread(false)
  try {
    const page = await client.rest.listReplies(roomId, parentId, { limit: 100 })
    if (state.thread !== parentId) return
    for (const m of page.messages) {
      client.noteMessage(m)
      keepNewer(state.replies, m)
    }
    renderThread(true)
    $<HTMLInputElement>('thread-text').focus()
  } catch (e) {
    showError(e)
  }
}

function closeThread() {
  state.thread = null
  state.replies = new Map()
  $('thread').hidden = true
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

async function saveEdit(m: Message, content: string) {
  const client = state.client
  state.editing = null
  if (!client || !content.trim() || content === m.content) return renderMessages(false)
  try {
    const updated = await client.rest.editMessage(m.room_id, m.message_id, { content, mentions: mentionsIn(content, state.members.map((x) => x.user_id)) })
    applyOwn(updated)
  } catch (e) {
    showError(e)
    renderMessages(false)
  }
}

function renderTyping() {
  const users = state.current ? [...(state.typing.get(state.current)?.keys() ?? [])] : []
  $('typing').textContent = users.length === 0 ? '' : users.length === 1 ? `${users[0]} is typing…` : `${users.join(', ')} are typing…`
}

// ---------------------------------------------------------------------------------------------
// Forms

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const token = $<HTMLTextAreaElement>('token').value
  $<HTMLButtonElement>('connect').disabled = true
  signIn(token).catch((e) => {
    state.client?.close()
    state.client = null
    $<HTMLButtonElement>('connect').disabled = false
    $('conn').dataset.state = 'idle'
    $('conn').textContent = 'not connected'
    showError(e, 'login-error')
  })
})

$('signout').addEventListener('click', signOut)

$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const input = $<HTMLInputElement>('text')
  // A message of files alone carries their names as its text (content is required).
  const content = input.value.trim() ? input.value : attachments.fallbackContent()
  if (!content.trim() || !state.current || !state.client) return
  input.value = ''
  const mentions = mentionsIn(content, state.members.map((x) => x.user_id))
  state.client.send(state.current, content, { attachments: attachments.take(), ...(mentions.length ? { mentions } : {}) }).catch((e) => {
    showError(e)
    if (!input.value) input.value = content
  })
})

$('thread-composer').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const input = $<HTMLInputElement>('thread-text')
  const content = input.value
  if (!content.trim() || !state.current || !state.thread || !state.client) return
  input.value = ''
  const mentions = mentionsIn(content, state.members.map((x) => x.user_id))
  state.client.send(state.current, content, { parentId: state.thread, ...(mentions.length ? { mentions } : {}) }).catch((e) => {
    showError(e)
    if (!input.value) input.value = content
  })
})

$('thread-close').addEventListener('click', () => {
  const parent = state.thread
  closeThread()
  if (parent) document.querySelector<HTMLElement>(`[data-focus="${CSS.escape(`${parent}:thread`)}"]`)?.focus()
})
$('thread').addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') $('thread-close').click()
})

$<HTMLInputElement>('file').addEventListener('change', (ev) => {
  const picker = ev.target as HTMLInputElement
  for (const file of picker.files ?? []) void attachments.upload(file)
  picker.value = ''
})

$('text').addEventListener('input', () => {
  if (state.current && $<HTMLInputElement>('text').value) state.client?.typing(state.current)
})

$('new-room').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const client = state.client
  if (!client) return
  const type = $<HTMLSelectElement>('new-room-type').value as 'group' | 'dm' | 'channel'
  const members = $<HTMLInputElement>('new-room-members')
    .value.split(/[\s,]+/)
    .filter(Boolean)
  const name = $<HTMLInputElement>('new-room-name').value.trim()
  client.rest
    .createRoom({ type, members, ...(name && type !== 'dm' ? { name } : {}) })
    .then(async (room) => {
      $<HTMLInputElement>('new-room-members').value = ''
      $<HTMLInputElement>('new-room-name').value = ''
      await loadRooms()
      await openRoom(room.room_id)
    })
    .catch((e) => showError(e))
})

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !state.current) return
  const v = state.rooms.get(state.current)
  if (v) markRead(state.current, v.lastSeq)
  renderRooms()
})

// A reload keeps the tab's token (sessionStorage: this tab only, gone with it).
const saved = sessionStorage.getItem(TOKEN_KEY)
if (saved) {
  $<HTMLTextAreaElement>('token').value = saved
  signIn(saved).catch((e) => {
    sessionStorage.removeItem(TOKEN_KEY)
    showError(e, 'login-error')
  })
}
