// Input checks shared by the services: JSON object fields, list limits and seq cursors (SPEC §7, §10).

import { invalid } from '../errors'

const MAX_JSON_BYTES = 8 * 1024

/** A JSON object (not null, not an array): request bodies arrive as `unknown` (schemas/common.ts JsonObjectInput). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Serializes an optional JSON object, enforcing its shape and the 8 KiB limit of SPEC §7 on `field`. */
export function jsonField(field: string, value: unknown): string | null {
  if (value === undefined) return null
  if (!isJsonObject(value)) throw invalid(field, `${field} must be a JSON object`)
  const s = JSON.stringify(value)
  if (Buffer.byteLength(s) > MAX_JSON_BYTES) throw invalid(field, `${field} must be at most ${MAX_JSON_BYTES} bytes serialized`)
  return s
}

/** Parses a list `limit` query value: default 50, 1-200, else 400 on `limit` (SPEC §10). */
export function parseLimit(raw: string | undefined, def = 50, max = 200): number {
  if (raw === undefined || raw === '') return def
  if (!/^\d+$/.test(raw)) throw invalid('limit', `limit must be an integer between 1 and ${max}`)
  const n = Number(raw)
  if (n < 1 || n > max) throw invalid('limit', `limit must be an integer between 1 and ${max}`)
  return n
}

/** Parses a non-negative integer query value such as after_seq. */
export function parseSeq(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,15}$/.test(raw)) throw invalid(field, `${field} must be a non-negative integer`)
  return Number(raw)
}
