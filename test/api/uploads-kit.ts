// What the upload suites share: where the files live (a local directory or a real S3-compatible
// server, s3rver, on 127.0.0.1:0), a test server using it, and upload calls.

import { mkdtempSync, rmSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { S3Client } from 'bun'
import S3rver from '@20minutes/s3rver'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import type { Clock } from '../../src/clock'

export interface FileStorage {
  name: 'local' | 's3'
  /** Environment for a server that keeps its files here (UPLOAD_DIR is per server for local). */
  env(serverDir: string): Record<string, string>
  /** True when the object of this key exists in the storage the server uses. */
  exists(server: TestServer, key: string): Promise<boolean>
  /** Every object stored for the tenant (partial and temporary files included). */
  objects(server: TestServer, tenantId: string): Promise<string[]>
  stop(): Promise<void>
}

export const localStorage = (): FileStorage => ({
  name: 'local',
  env: (dir) => ({ UPLOAD_STORAGE: 'local', UPLOAD_DIR: join(dir, 'uploads') }),
  exists: (server, key) => Bun.file(join(server.dir, 'uploads', key)).exists(),
  objects: async (server, tenantId) => readdir(join(server.dir, 'uploads', tenantId)).catch(() => []),
  stop: async () => {},
})

const BUCKET = 'chatapi-test'
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } // s3rver's built-in account

/**
 * s3rver (a maintained fork, @20minutes/s3rver) is an S3 REST server on the local file system: it
 * checks SigV4 signatures, supports multipart uploads and ranged GETs, and runs offline from npm.
 */
export async function s3Storage(): Promise<FileStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-s3-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const client = new S3Client({ endpoint, bucket: BUCKET, region: 'us-east-1', ...CREDENTIALS })
  return {
    name: 's3',
    env: () => ({
      UPLOAD_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: BUCKET,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    exists: (_server, key) => client.exists(key),
    // Read from s3rver's own directory (<bucket>/<key>._S3rver_object): Bun's list() request is one
    // s3rver's signature check refuses.
    objects: async (_server, tenantId) =>
      (await readdir(join(dir, BUCKET, tenantId)).catch(() => [] as string[])).filter((f) => f.endsWith('._S3rver_object')),
    async stop() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A clock the test moves forward (signed URL expiry, orphan age). */
export function testClock(): Clock & { advance(ms: number): void } {
  let offset = 0
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) }
}

export async function startUploadServer(storage: FileStorage, env: Record<string, string> = {}, clock?: Clock): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-upl-'))
  const server = await startTestServer({ ...storage.env(dir), ...env }, clock ? { clock } : {})
  // The local storage env above points into `dir`, made before the server's own: keep them together.
  const stop = server.stop
  return Object.assign(server, { dir, stop: async () => (await stop(), rmSync(dir, { recursive: true, force: true })) })
}

export interface UploadResult {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

const parse = async (r: Response): Promise<UploadResult> => {
  const text = await r.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: r.status, headers: r.headers, body }
}

/** A raw upload: the bytes as the body with their own Content-Type and ?filename=. */
export async function uploadRaw(s: TestServer, t: TestTenant, user: string, bytes: Uint8Array | string, type: string | null, filename?: string, headers: Record<string, string> = {}) {
  const q = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`
  const h: Record<string, string> = { ...t.headers(user), ...headers }
  if (type !== null) h['content-type'] = type
  return parse(await fetch(`${s.url}/v1/uploads${q}`, { method: 'POST', headers: h, body: bytes }))
}

/** A multipart/form-data upload with one part named `file` (plus any extra parts). */
export async function uploadForm(s: TestServer, t: TestTenant, user: string, bytes: Uint8Array | string, type: string, filename: string, extra: (f: FormData) => void = () => {}) {
  const form = new FormData()
  extra(form)
  form.append('file', new Blob([bytes], { type }), filename)
  return parse(await fetch(`${s.url}/v1/uploads`, { method: 'POST', headers: t.headers(user), body: form }))
}

/** GET with the tenant user's headers (or none), answer bytes included. */
export async function download(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers })
  const bytes = new Uint8Array(await r.arrayBuffer())
  return { status: r.status, headers: r.headers, bytes, json: () => JSON.parse(new TextDecoder().decode(bytes)) }
}
