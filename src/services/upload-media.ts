// Media types of uploads (SPEC §12): the tenant's allow list, the declared-versus-content check,
// image dimensions, and how a download presents itself to a browser.

import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type'
import { imageSize } from 'image-size'

/** The default `upload_types`: images, audio, video, PDF, plain text and zip. */
export const DEFAULT_UPLOAD_TYPES = ['image/*', 'audio/*', 'video/*', 'application/pdf', 'text/plain', 'application/zip']

/** An `upload_types` entry: `type/subtype` or `type/*` (RFC 6838 characters). */
export const MEDIA_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/

/** The lower-cased `type/subtype` of a Content-Type value (parameters dropped), or null when malformed. */
export function mediaEssence(value: string | null | undefined): string | null {
  if (!value) return null
  const essence = value.split(';')[0].trim().toLowerCase()
  return MEDIA_PATTERN.test(essence) && !essence.endsWith('/*') ? essence : null
}

/** True when `type` matches an entry of the list (`image/*` matches every image type). */
export function typeAllowed(type: string, allowed: readonly string[]): boolean {
  const major = type.slice(0, type.indexOf('/'))
  return allowed.some((a) => a === type || (a.endsWith('/*') && a.slice(0, -2) === major))
}

/** Names of one format, so an image/jpg declared for JPEG content is no contradiction. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/apng': 'image/png',
  'image/x-png': 'image/png',
  'image/x-ms-bmp': 'image/bmp',
  'image/vnd.microsoft.icon': 'image/x-icon',
  'image/heif': 'image/heic',
  'image/heif-sequence': 'image/heic',
  'image/heic-sequence': 'image/heic',
  'application/x-zip-compressed': 'application/zip',
}
const canonical = (t: string) => ALIASES[t] ?? t

/** Formats that are zip archives inside: declared application/zip, their content is no contradiction. */
const ZIP_FAMILY = new Set(['zip', 'docx', 'xlsx', 'pptx', 'epub', 'jar', 'apk', 'odt', 'ods', 'odp', 'odg', 'xpi', '3mf', 'kmz', 'ipa', 'vsdx', 'sketch'])

/** The declared types whose content the server checks (SPEC §12: image, PDF and zip). */
export const isChecked = (type: string) => type.startsWith('image/') || type === 'application/pdf' || canonical(type) === 'application/zip'

/**
 * True when the file's first bytes contradict its declared (checked) type: they are recognisably
 * another format, or the declared format is one the sniffer knows and they are not it. SVG is
 * text: any XML (or unrecognised text) is fine for it, a binary format is not.
 */
export async function contradicts(declared: string, head: Uint8Array): Promise<boolean> {
  if (!isChecked(declared)) return false
  const sniffed = await fileTypeFromBuffer(head)
  const want = canonical(declared)
  if (want === 'image/svg+xml') return sniffed !== undefined && sniffed.mime !== 'application/xml'
  if (!sniffed) return supportedMimeTypes.has(declared as never) || supportedMimeTypes.has(want as never)
  if (want === 'application/zip') return !ZIP_FAMILY.has(sniffed.ext)
  return canonical(sniffed.mime) !== want
}

/** Formats whose width and height an upload reports (SPEC §12). */
const MEASURED = new Set(['png', 'jpg', 'gif', 'webp'])

/**
 * Width and height of a PNG, JPEG, GIF or WebP image from its first bytes (`head`), else null. A
 * JPEG whose frame header lies past the head (large embedded metadata) also gets null.
 */
export function dimensions(head: Uint8Array): { width: number | null; height: number | null } {
  try {
    const r = imageSize(head)
    if (r.type && MEASURED.has(r.type) && r.width > 0 && r.height > 0) return { width: r.width, height: r.height }
  } catch {
    // not an image, or its header is incomplete
  }
  return { width: null, height: null }
}

/** Raster images a browser may show inline; everything else (SVG and HTML included) downloads as a file. */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'])

/** RFC 6266 Content-Disposition: an ASCII fallback plus the exact UTF-8 name (RFC 8187). */
export function contentDisposition(type: string, filename: string): string {
  const kind = INLINE.has(type) ? 'inline' : 'attachment'
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/**
 * A client-given file name made safe to store and echo: the last path segment, control characters
 * removed, at most 255 characters. Null when nothing is left.
 */
export function cleanFilename(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null
  const base = raw.split(/[/\\]/).pop() ?? ''
  const name = base.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  if (!name || name === '.' || name === '..') return null
  return [...name].slice(0, 255).join('')
}
