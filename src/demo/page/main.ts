// The demo chat page: a user token in, rooms with unread counts, live messages, typing, presence,
// sending and editing; replies in a thread, reactions, pins and mentions (rich.ts); reporting and
// blocking (moderation.ts). Built for the browser by src/demo/bundle.ts; everything goes through the SDK.

import { ChatClient, type Message } from '../../../sdk/src/index'
import { $, h } from './dom'
import { keepNewer, mentionsIn, type MessageActions } from './rich'
import { loadBlocks, type ModerationContext } from './moderation'
import { createAttachments } from './attachments'
import { canPin, createPageState, peerOf, showError, TOKEN_KEY, type RoomView } from './state'
import { createMessageViews } from './message-views'
import { createRoomViews } from './room-views'
import { createLiveUpdates } from './live'

const state = createPageState()

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
// Loading over REST

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
      peer: peerOf(state.me, r),
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
// The views (room-views.ts, message-views.ts) and the live updates (live.ts)

const actions: MessageActions = {
  get me() {
    return state.me
  },
  get canPin() {
    return canPin(state)
  },
  react(m, key, add) {
    const rest = state.client?.rest
    if (!rest) return
    ;(add ? rest.addReaction(m.room_id, m.message_id, key) : rest.removeReaction(m.room_id, m.message_id, key)).then((updated) => applyOwn(updated), (e) => showError(e))
  },
  openThread(m) {
    void openThread(m.message_id)
  },
  pin(m, on) {
    const rest = state.client?.rest
    if (!rest) return
    ;(on ? rest.pin(m.room_id, m.message_id) : rest.unpin(m.room_id, m.message_id)).then((updated) => applyOwn(updated), (e) => showError(e))
  },
  remove(m) {
    state.client?.rest.deleteMessage(m.room_id, m.message_id).catch((e) => showError(e))
  },
}

const { renderMessages, renderThread, renderPins, renderTyping } = createMessageViews(state, { attachments, actions, saveEdit, moderation })
const { renderRooms, renderRoom, renderMembers } = createRoomViews(state, { openRoom, moderation, renderMessages, renderTyping })
const { wire, markRead, applyOwn } = createLiveUpdates(state, {
  loadRooms,
  openRoom,
  loadMembers,
  renderRooms,
  renderRoom,
  renderMembers,
  renderMessages,
  renderThread,
  renderPins,
  renderTyping,
})

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
