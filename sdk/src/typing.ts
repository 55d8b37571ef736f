// The realtime client's own typing indicator: `typing.start` on the first keystroke (refreshed while
// typing goes on, before the server's 6 s expiry), `typing.stop` after `idleMs` without one.

export class TypingSender {
  private readonly rooms = new Map<string, { sentAt: number; stopTimer: ReturnType<typeof setTimeout> }>()

  constructor(
    private readonly idleMs: number,
    private readonly write: (frame: Record<string, unknown>) => void,
  ) {}

  /** A keystroke in `roomId`. */
  keystroke(roomId: string): void {
    const now = Date.now()
    const t = this.rooms.get(roomId)
    if (t) clearTimeout(t.stopTimer)
    const refresh = !t || now - t.sentAt > 4000 // the server ends a start not refreshed within 6 s
    if (refresh) this.write({ type: 'typing.start', room_id: roomId })
    this.rooms.set(roomId, { sentAt: refresh ? now : t!.sentAt, stopTimer: setTimeout(() => this.stop(roomId), this.idleMs) })
  }

  /** Ends the indicator in `roomId` (nothing is sent when none is on). */
  stop(roomId: string): void {
    const t = this.rooms.get(roomId)
    if (!t) return
    clearTimeout(t.stopTimer)
    this.rooms.delete(roomId)
    this.write({ type: 'typing.stop', room_id: roomId })
  }

  /** Forgets every indicator without a frame (the socket is gone; the server ends them itself). */
  reset(): void {
    for (const t of this.rooms.values()) clearTimeout(t.stopTimer)
    this.rooms.clear()
  }
}
