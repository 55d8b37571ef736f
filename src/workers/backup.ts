// Runs one backup in a short-lived Worker thread and resolves with its size (POST /v1/admin/backup).

import { statSync } from 'node:fs'

/** The slowest copy rate taken for a live one: below it the worker is deemed stuck. */
const MIN_BYTES_PER_S = 2 * 1024 * 1024

/**
 * How long a backup of `bytes` (database plus WAL) may run before its worker is stopped: ten minutes,
 * or as long as copying at 2 MiB/s takes. A fixed ten minutes fails every backup past ~15–20 GB
 * (4.2 GB took 111–178 s on the bench box, docs/performance.md "Big database").
 */
export function backupTimeoutMs(bytes: number): number {
  return Math.max(10 * 60_000, Math.ceil((bytes / MIN_BYTES_PER_S) * 1000))
}

const sizeOf = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

export function backupInWorker(source: string, target: string, timeoutMs = backupTimeoutMs(sizeOf(source) + sizeOf(`${source}-wal`))): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./backup.worker.ts', import.meta.url).href)
    const timer = setTimeout(() => {
      w.terminate()
      reject(new Error('backup timed out'))
    }, timeoutMs)
    w.onmessage = (e: MessageEvent<{ ok: boolean; bytes?: number; error?: string }>) => {
      clearTimeout(timer)
      w.terminate()
      if (e.data.ok) resolve(e.data.bytes!)
      else reject(new Error(e.data.error))
    }
    w.onerror = (e) => {
      clearTimeout(timer)
      reject(new Error((e as ErrorEvent).message || 'backup worker failed'))
    }
    w.postMessage({ source, target })
  })
}
