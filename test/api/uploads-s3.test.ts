// SPEC §12 on S3 storage (UPLOAD_STORAGE=s3): the same suites against a real S3-compatible server
// started here on 127.0.0.1:0 (s3rver, a devDependency; see uploads-kit.ts), through Bun's S3 client.

import { afterAll } from 'bun:test'
import { s3Storage } from './uploads-kit'
import { uploadSuite } from './uploads-suite'
import { accessSuite } from './uploads-access-suite'

const storage = await s3Storage()
afterAll(() => storage.stop())

uploadSuite(() => storage)
accessSuite(() => storage)
