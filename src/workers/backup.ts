// Runs one backup in a short-lived Worker thread and resolves with its size (POST /v1/admin/backup).

export function backupInWorker(source: string, target: string, timeoutMs = 10 * 60_000): Promise<number> {
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
