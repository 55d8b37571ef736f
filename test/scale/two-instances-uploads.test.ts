// Uploads across two ChatAPI processes over one PostgreSQL database (SPEC §9, §12): a file uploaded
// through A downloads through B, with a shared UPLOAD_DIR and with S3 (s3rver on 127.0.0.1:0); a
// signed URL made by A is valid on B (one signing key for the cluster, kept in the database); local
// storage with PostgreSQL logs a start-up warning. Skips when PostgreSQL is absent.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { freshPgDatabase } from '../support/storage'
import { spawnServer, type ServerProcess } from '../support/process'
import { call } from '../support/http'
import { png } from '../support/images'
import { s3Storage, type FileStorage } from '../api/uploads-kit'

const PG = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(): Promise<boolean> {
  try {
    const sql = new SQL(PG, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    await sql.close()
    return true
  } catch {
    return false
  }
}
const available = await reachable()
if (!available) console.warn('skipped: two-instance upload tests need PostgreSQL at', PG)

const WARNING = /UPLOAD_STORAGE=local with a PostgreSQL database/

for (const kind of ['shared directory', 's3'] as const) {
  describe.skipIf(!available)(`two instances share uploads (${kind})`, () => {
    let db: Awaited<ReturnType<typeof freshPgDatabase>>
    let dir: string
    let s3: FileStorage | null = null
    let a: ServerProcess
    let b: ServerProcess
    let key = ''

    beforeAll(async () => {
      db = await freshPgDatabase(PG)
      dir = mkdtempSync(join(tmpdir(), 'chatapi-two-'))
      if (kind === 's3') s3 = await s3Storage()
      const env = { DATABASE_URL: db.url, MASTER_API_KEY: 'mk', ...(s3 ? s3.env(dir) : { UPLOAD_STORAGE: 'local', UPLOAD_DIR: join(dir, 'shared-uploads') }) }
      a = await spawnServer(env)
      b = await spawnServer(env)
      const t = await call(a.url, 'POST', '/v1/admin/tenants', { headers: { 'x-master-key': 'mk' }, body: { name: 'two' } })
      expect(t.status).toBe(201)
      key = t.body.api_key
    })
    afterAll(async () => {
      for (const s of [a, b]) if (s && s.proc.exitCode === null) s.proc.kill('SIGTERM')
      await Promise.all([a?.exited, b?.exited])
      await s3?.stop()
      await db?.drop()
      rmSync(dir, { recursive: true, force: true })
    })
    const hdr = (user: string) => ({ 'x-api-key': key, 'x-user-id': user })

    test('uploaded on A, attached on A, downloaded by a member on B; a signed URL from A works on B', async () => {
      const bytes = png(7, 5)
      const up = await fetch(`${a.url}/v1/uploads?filename=p.png`, { method: 'POST', headers: { ...hdr('alice'), 'content-type': 'image/png' }, body: bytes })
      expect(up.status).toBe(201)
      const { upload_id } = (await up.json()) as { upload_id: string }
      const room = (await call(a.url, 'POST', '/v1/rooms', { headers: hdr('alice'), body: { type: 'group', members: ['bob'] } })).body.room_id
      expect((await call(a.url, 'POST', `/v1/rooms/${room}/messages`, { headers: hdr('alice'), body: { content: 'pic', attachments: [upload_id] } })).status).toBe(201)
      const got = await fetch(`${b.url}/v1/uploads/${upload_id}`, { headers: hdr('bob') })
      expect(got.status).toBe(200)
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true)
      const signed = await call(a.url, 'GET', `/v1/uploads/${upload_id}/url`, { headers: hdr('bob') })
      const onB = await fetch(signed.body.url.replace(a.url, b.url))
      expect(onB.status).toBe(200)
      expect(onB.headers.get('etag')).toBe(`"${new Bun.CryptoHasher('sha256').update(bytes).digest('hex')}"`)
      await onB.arrayBuffer()
    })

    test(kind === 's3' ? 'no storage warning with S3' : 'local storage with PostgreSQL logs a start-up warning', () => {
      const warned = [a, b].map((s) => s.lines.some((l) => WARNING.test(l)))
      expect(warned).toEqual(kind === 's3' ? [false, false] : [true, true])
    })
  })
}
