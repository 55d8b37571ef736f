// The change-feed cursor of the realtime client (SPEC §11.1): the `rev` held per message and per room.
//
// A message's rev says which of its versions a copy is; a change is applied only when its rev is
// above the copy's, so a live frame and the same change re-sent by a catch-up sync (or an older
// frame arriving late) are never applied twice or backwards.
//
// A room's rev is the highest rev the client has applied or seen there: after a reconnect it asks
// for the changes after it (`sync` with `after_rev`). While such a catch-up runs, live frames are
// applied but do not move the room's rev: if the socket drops mid-way, the next catch-up must start
// where the last one really got to, not past changes it had not streamed yet.

import type { Message } from './types'

/** Message revs kept (oldest forgotten first); a forgotten message takes any change again. */
const MESSAGES_MAX = 50_000

interface RoomRev {
  /** Every change up to this rev is reflected (undefined: unknown, a catch-up starts from 0). */
  rev?: number
  /** A catch-up (`sync` after_rev) has been asked for or is running on this connection. */
  catchingUp: boolean
  /** The highest rev applied while catching up, taken into `rev` when the catch-up ends. */
  pendingMax: number
}

export class RevTracker {
  private readonly rooms = new Map<string, RoomRev>()
  private readonly messages = new Map<string, number>()

  private room(roomId: string): RoomRev {
    let r = this.rooms.get(roomId)
    if (!r) this.rooms.set(roomId, (r = { catchingUp: false, pendingMax: 0 }))
    return r
  }

  roomRev(roomId: string): number | undefined {
    return this.rooms.get(roomId)?.rev
  }

  messageRev(messageId: string): number | undefined {
    return this.messages.get(messageId)
  }

  /** The app holds the room's messages as of `lastRev` (a room's `last_rev` read before its history). */
  track(roomId: string, lastRev: number): void {
    const r = this.room(roomId)
    r.rev = Math.max(r.rev ?? 0, lastRev)
  }

  /** Like track, for a room read over REST: only a room the client knows nothing of yet is seeded. */
  seed(roomId: string, lastRev: number): void {
    const r = this.room(roomId)
    if (r.rev === undefined && !r.catchingUp) r.rev = lastRev
  }

  /** Records a copy's rev; true when it is newer than the one held (the copy should be applied). */
  note(m: Pick<Message, 'message_id' | 'rev'>): boolean {
    const held = this.messages.get(m.message_id)
    if (held !== undefined && m.rev <= held) return false
    if (held !== undefined) this.messages.delete(m.message_id) // re-insert: recently changed stays longest
    this.messages.set(m.message_id, m.rev)
    if (this.messages.size > MESSAGES_MAX) this.messages.delete(this.messages.keys().next().value!)
    return true
  }

  /** A `message.updated` / `message.deleted` frame: true when it should be applied. */
  accept(m: Pick<Message, 'message_id' | 'room_id' | 'rev'>): boolean {
    if (!this.note(m)) return false
    const r = this.room(m.room_id)
    if (r.catchingUp) r.pendingMax = Math.max(r.pendingMax, m.rev)
    else r.rev = Math.max(r.rev ?? 0, m.rev)
    return true
  }

  /**
   * Marks the rooms to catch up on a new connection and answers them with the rev to sync after:
   * the rooms with a known rev, and the given ones (rooms with traffic) even without one.
   */
  beginCatchUp(alsoRooms: Iterable<string>): [roomId: string, afterRev: number][] {
    for (const id of alsoRooms) this.room(id)
    const out: [string, number][] = []
    for (const [id, r] of this.rooms) {
      r.catchingUp = true
      r.pendingMax = r.rev ?? 0
      out.push([id, r.rev ?? 0])
    }
    return out
  }

  /** A catch-up stopped at SYNC_MAX_PER_ROOM: everything before `fromRev` was streamed. */
  truncated(roomId: string, fromRev: number): number {
    const r = this.room(roomId)
    r.rev = Math.max(r.rev ?? 0, fromRev - 1)
    return r.rev
  }

  /** The catch-up of a room is over: what was applied meanwhile now counts. */
  caughtUp(roomId: string): void {
    const r = this.rooms.get(roomId)
    if (!r || !r.catchingUp) return
    r.catchingUp = false
    r.rev = Math.max(r.rev ?? 0, r.pendingMax)
  }

  /** The catch-up was refused (access lost): stop waiting, keep the rev where it is. */
  abandon(roomId: string): void {
    const r = this.rooms.get(roomId)
    if (r) r.catchingUp = false
  }

  isCatchingUp(roomId: string): boolean {
    return this.rooms.get(roomId)?.catchingUp ?? false
  }

  /** The connection dropped: catch-ups in flight start again on the next one (from the rev reached). */
  connectionLost(): void {
    for (const r of this.rooms.values()) r.catchingUp = false
  }

  forgetRoom(roomId: string): void {
    this.rooms.delete(roomId)
  }

  /** A new server epoch: every rev may mean something else now. */
  clear(): void {
    this.rooms.clear()
    this.messages.clear()
  }
}
