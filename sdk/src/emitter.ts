// A small typed event emitter (no dependency on Node's or the DOM's).

export type Listener<T> = (payload: T) => void

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(fn as Listener<never>)
    return () => this.off(event, fn)
  }

  /** Like `on`, removed after the first call. */
  once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(event, (p) => {
      off()
      fn(p)
    })
    return off
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(fn as Listener<never>)
  }

  /** Calls every listener; one that throws is reported and does not stop the others or the client. */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const fn of [...set]) {
      try {
        ;(fn as Listener<Events[K]>)(payload)
      } catch (e) {
        console.error(`@chatapi/client: a "${String(event)}" listener threw`, e)
      }
    }
  }

  protected hasListeners(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0
  }
}
