// Files under a local directory (UPLOAD_STORAGE=local): <dir>/<tenant_id>/<upload_id>.

import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { randomBase62 } from '../ids'
import type { BlobStore, BlobWriter, ByteRange } from './types'

/** Keys are made by the server, never by a client; this refuses anything else (no path escapes). */
const KEY = /^[A-Za-z0-9_]{1,64}\/[A-Za-z0-9_]{1,64}$/

export function createLocalBlobStore(dir: string): BlobStore {
  const root = resolve(dir)
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`not a blob key: ${key}`)
    return join(root, key)
  }
  return {
    kind: 'local',
    create(key: string): BlobWriter {
      const final = pathOf(key)
      // Written beside its final name and renamed on commit: a crash or an abort never leaves a
      // partial file under a key a row could point to (the sweep of stray .part files is manual).
      const temp = `${final}.${randomBase62(8)}.part`
      const opened = mkdir(dirname(final), { recursive: true }).then(() => open(temp, 'wx', 0o640))
      let done = false
      return {
        async write(chunk) {
          const fh = await opened
          let off = 0
          while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten
        },
        async commit() {
          const fh = await opened
          await fh.sync()
          await fh.close()
          await rename(temp, final)
          done = true
        },
        async abort() {
          if (done) return
          done = true
          await opened.then((fh) => fh.close()).catch(() => {})
          await rm(temp, { force: true }).catch(() => {})
        },
      }
    },
    read(key: string, range?: ByteRange) {
      const file = Bun.file(pathOf(key))
      return (range ? file.slice(range.start, range.end + 1) : file).stream()
    },
    async remove(key: string) {
      await rm(pathOf(key), { force: true })
    },
    async exists(key: string) {
      return stat(pathOf(key)).then(
        () => true,
        () => false,
      )
    },
  }
}
