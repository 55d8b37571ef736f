// The shared worker-thread shell: wait for `init`, tick a loop on a timer, wake on demand, stop
// after the current batch; errors back off exponentially (capped) and are logged at most every 30 s.

import type { FromWorker, ToWorker, WorkerInit } from './protocol'

declare const self: Worker

export interface WorkerLoop {
  tick(): Promise<unknown> | unknown
  intervalMs: number
  /** When set, the wait before the next tick (e.g. until the next due row), at most intervalMs. */
  nextDelayMs?(): number
  close(): void
  /** Told about a `wake` while a tick may be running (it should pick up new work at once). */
  wake?(): void
  /** Told about a `stop`: the running tick should start nothing new and end. */
  stop?(): void
  /**
   * Any other message from the main thread (requests a worker answers between ticks). Returns
   * whether to tick: true now, a number within that many ms (a sooner tick already due stands).
   */
  onMessage?(m: ToWorker): boolean | number
}

export function runWorker(setup: (init: WorkerInit, post: (m: FromWorker) => void) => WorkerLoop) {
  const post = (m: FromWorker) => self.postMessage(m)
  let loop: ReturnType<typeof setup> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let running = false
  let stopping = false
  let errors = 0
  let lastLogged = 0
  let again = false

  let dueAt = Infinity
  const schedule = (ms: number) => {
    if (stopping) return
    if (timer) clearTimeout(timer)
    dueAt = Date.now() + ms
    timer = setTimeout(run, ms)
  }
  /** A tick within `ms`, unless one is due sooner. */
  const scheduleWithin = (ms: number) => {
    if (timer && dueAt <= Date.now() + ms) return
    schedule(ms)
  }

  async function run() {
    timer = null
    dueAt = Infinity
    if (!loop || stopping) return
    if (running) return void (again = true)
    running = true
    try {
      await loop.tick()
      errors = 0
    } catch (e) {
      errors++
      const code = (e as { code?: string })?.code ?? 'TICK_FAILED'
      post({ type: 'error', code })
      if (Date.now() - lastLogged > 30_000) {
        lastLogged = Date.now()
        console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'worker tick failed', code, error: String(e) }))
      }
    } finally {
      running = false
    }
    if (stopping) return finish()
    const backoff = errors ? Math.min(30_000, 100 * 2 ** errors) : Math.min(loop.intervalMs, loop.nextDelayMs?.() ?? loop.intervalMs)
    schedule(again ? 0 : backoff)
    again = false
  }

  function finish() {
    loop?.close()
    post({ type: 'stopped' })
    process.exit(0)
  }

  self.onmessage = (e: MessageEvent<ToWorker>) => {
    const m = e.data
    if (m.type === 'init') {
      loop = setup(m, post)
      post({ type: 'ready' })
      schedule(0)
    } else if (m.type === 'wake') {
      loop?.wake?.()
      schedule(0)
    } else if (m.type === 'stop') {
      stopping = true
      loop?.stop?.()
      if (timer) clearTimeout(timer)
      if (!running) finish() // else finish() runs when the current batch ends
    } else {
      const when = loop?.onMessage?.(m)
      if (when === true) schedule(0)
      else if (typeof when === 'number') scheduleWithin(when)
    }
  }
}
