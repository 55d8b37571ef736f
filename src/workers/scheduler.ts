// The scheduler (main thread): starts the worker threads, restarts one that dies with capped
// backoff, reports { state, restarts, last_error } for /health, and stops them cleanly at shutdown.

import type { Logger } from '../log'
import type { WorkerStatus } from '../health'
import type { FromWorker, ToWorker, WorkerInit } from './protocol'

export interface WorkerSpec {
  name: string
  url: URL
  init: WorkerInit
  onMessage(m: FromWorker): void
  /** Told when the worker thread ended unexpectedly (requests in flight will not be answered). */
  onExit?(): void
}

interface Slot {
  spec: WorkerSpec
  worker: Worker | null
  status: WorkerStatus
  consecutiveFailures: number
  stopped: Promise<void> | null
  restartTimer: ReturnType<typeof setTimeout> | null
}

const MAX_RESTART_DELAY_MS = 30_000

export function createScheduler(log: Logger, specs: WorkerSpec[], baseRestartMs = 100) {
  const slots = new Map<string, Slot>()
  let stopping = false

  function spawn(slot: Slot) {
    const w = new Worker(slot.spec.url.href)
    slot.worker = w
    let settled = false
    const died = (why: string) => {
      if (settled) return
      settled = true
      if (slot.worker === w) slot.worker = null
      slot.spec.onExit?.()
      if (stopping) return
      slot.consecutiveFailures++
      slot.status.state = 'restarting'
      slot.status.restarts++
      slot.status.last_error = why
      const delay = Math.min(MAX_RESTART_DELAY_MS, baseRestartMs * 2 ** (slot.consecutiveFailures - 1))
      log.error('worker died; restarting', { worker: slot.spec.name, code: why, delay_ms: delay })
      slot.restartTimer = setTimeout(() => spawn(slot), delay)
    }
    w.addEventListener('message', (e: MessageEvent<FromWorker>) => {
      const m = e.data
      if (m.type === 'ready') {
        slot.status.state = 'running'
        slot.consecutiveFailures = 0
      } else if (m.type === 'error') slot.status.last_error = m.code
      slot.spec.onMessage(m)
    })
    w.addEventListener('error', (e) => {
      died('WORKER_ERROR')
      log.error('worker error', { worker: slot.spec.name, error: (e as ErrorEvent).message })
    })
    w.addEventListener('close', () => died('WORKER_EXITED'))
    w.postMessage(slot.spec.init satisfies ToWorker)
  }

  return {
    start() {
      for (const spec of specs) {
        const slot: Slot = {
          spec,
          worker: null,
          status: { state: 'restarting', restarts: 0, last_error: null },
          consecutiveFailures: 0,
          stopped: null,
          restartTimer: null,
        }
        slots.set(spec.name, slot)
        spawn(slot)
      }
    },

    /** Resolves once every worker reported ready (or after `timeoutMs`, whatever their state). */
    async ready(timeoutMs = 5000): Promise<boolean> {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if ([...slots.values()].every((s) => s.status.state === 'running')) return true
        await Bun.sleep(5)
      }
      return false
    },

    status(): Record<string, WorkerStatus> {
      const out: Record<string, WorkerStatus> = {}
      for (const [name, s] of slots) out[name] = { ...s.status }
      return out
    },

    post(name: string, m: ToWorker) {
      slots.get(name)?.worker?.postMessage(m)
    },

    /** Ends a worker abruptly (tests and operators use it to prove the restart path). */
    terminate(name: string) {
      slots.get(name)?.worker?.terminate()
    },

    /** Asks every worker to stop after its current batch; terminates any still running after `timeoutMs`. */
    async stop(timeoutMs = 5000) {
      stopping = true
      await Promise.all(
        [...slots.values()].map(async (slot) => {
          if (slot.restartTimer) clearTimeout(slot.restartTimer)
          const w = slot.worker
          slot.status.state = 'stopped'
          if (!w) return
          const closed = new Promise<void>((r) => w.addEventListener('close', () => r(), { once: true }))
          w.postMessage({ type: 'stop' } satisfies ToWorker)
          const timer = setTimeout(() => w.terminate(), timeoutMs)
          await closed
          clearTimeout(timer)
        }),
      )
    },
  }
}

export type Scheduler = ReturnType<typeof createScheduler>
