// Opens the configured file store (UPLOAD_STORAGE).

import type { Config } from '../config'
import { createLocalBlobStore } from './local'
import { createS3BlobStore } from './s3'
import type { BlobStore } from './types'

export function openBlobStore(config: Config): BlobStore {
  if (config.UPLOAD_STORAGE === 's3')
    return createS3BlobStore({
      endpoint: config.S3_ENDPOINT,
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    })
  return createLocalBlobStore(config.UPLOAD_DIR)
}
