// The demo page's state (one signed-in user): the client, the rooms with their counts, and the open
// room's messages, members, thread and pins; plus the small reads of it that several views share.

import { ChatApiError, type ChatClient, type Member, type Message, type RoomListItem } from '../../../sdk/src/index'
import { $ } from './dom'

export const TOKEN_KEY = 'chatapi.demo.token'

export interface RoomView {
  room: RoomListItem
  lastSeq: number
  lastRead: number
  /** The other user of a dm. */
  peer?: string
  activity: string
  /** Messages above the read marker that mention the viewer. */
  mentions: number
}

export function createPageState() {
  return {
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
}

export type PageState = ReturnType<typeof createPageState>

/** Shows an error in the page (`where`: the element's id) for six seconds. */
export function showError(e: unknown, where = 'error') {
  const text = e instanceof ChatApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)
  $(where).textContent = text
  if (text) setTimeout(() => ($(where).textContent === text ? ($(where).textContent = '') : null), 6000)
}

export const peerOf = (me: string, r: RoomListItem) => {
  if (r.type !== 'dm' || !r.unique_key) return undefined
  const [a, b] = r.unique_key.slice(3).split('|')
  return a === me ? b : a
}


export function roomName(v: RoomView) {
  return v.room.name ?? (v.peer ? v.peer : v.room.room_id)
}

/** In a group or channel the owner and admins pin; in a dm either member (SPEC §11.6). */
export function canPin(state: PageState): boolean {
  const v = state.current ? state.rooms.get(state.current) : undefined
  if (!v) return false
  if (v.room.type === 'dm') return true
  const role = state.members.find((x) => x.user_id === state.me)?.role
  return role === 'owner' || role === 'admin'
}

