// The file store seam (SPEC §12): uploaded files live outside the database, on a local directory or
// in an S3-compatible bucket, under keys the server makes (`<tenant_id>/<upload_id>`).

/** An object being written: nothing is readable under its key until `commit` resolves. */
export interface BlobWriter {
  /** Resolves once the chunk is handed on (disk or network), so a caller that awaits each write keeps memory flat. */
  write(chunk: Uint8Array): Promise<void>
  commit(): Promise<void>
  /** Drops what was written; never throws. */
  abort(): Promise<void>
}

/** A byte range, both ends inclusive (as in Content-Range). */
export interface ByteRange {
  start: number
  end: number
}

export interface BlobStore {
  readonly kind: 'local' | 's3'
  create(key: string, contentType: string): BlobWriter
  /** The object's bytes (or `range` of them) as a stream, read as the consumer pulls. */
  read(key: string, range?: ByteRange): ReadableStream<Uint8Array>
  /** Removes the object; removing a missing one succeeds. */
  remove(key: string): Promise<void>
  /** True when an object is stored under `key` (tests and the operator checks). */
  exists(key: string): Promise<boolean>
}
