// Backup worker thread (thin shell): one VACUUM INTO on its own connection, so the event loop never waits on it.

import { writeBackup } from '../db/backup'

declare const self: Worker

self.onmessage = (e: MessageEvent<{ source: string; target: string }>) => {
  try {
    const bytes = writeBackup(e.data.source, e.data.target)
    self.postMessage({ ok: true, bytes })
  } catch (err) {
    self.postMessage({ ok: false, error: (err as Error).message, code: (err as { code?: string }).code ?? null })
  }
}
