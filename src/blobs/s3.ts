// Files in an S3-compatible bucket (UPLOAD_STORAGE=s3) through Bun's own S3 client.

import { S3Client } from 'bun'
import type { BlobStore, BlobWriter, ByteRange } from './types'

export interface S3Settings {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

/** The smallest part S3 accepts: a writer holds at most about one part in memory (queueSize 1). */
const PART_BYTES = 5 * 1024 * 1024

export function createS3BlobStore(s: S3Settings): BlobStore {
  const client = new S3Client({
    bucket: s.bucket,
    region: s.region,
    ...(s.endpoint && { endpoint: s.endpoint }),
    ...(s.accessKeyId && { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey }),
  })
  return {
    kind: 's3',
    create(key: string, contentType: string): BlobWriter {
      // A multipart upload once more than one part arrives, a single PUT otherwise; either way the
      // object appears only when end() completes it.
      const sink = client.file(key).writer({ type: contentType, partSize: PART_BYTES, queueSize: 1, retry: 2 })
      let done = false
      return {
        async write(chunk) {
          await sink.write(chunk)
        },
        async commit() {
          await sink.end()
          done = true
        },
        async abort() {
          if (done) return
          done = true
          // Ending with an error aborts a multipart upload; a delete covers a single PUT that made it.
          await Promise.resolve()
            .then(() => sink.end(new Error('upload aborted')))
            .catch(() => {})
          await client.delete(key).catch(() => {})
        },
      }
    },
    read(key: string, range?: ByteRange) {
      const file = client.file(key)
      return (range ? file.slice(range.start, range.end + 1) : file).stream()
    },
    async remove(key: string) {
      await client.delete(key)
    },
    exists: (key: string) => client.exists(key),
  }
}
