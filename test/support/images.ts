// Small image files made in code for the upload tests: a real PNG (it renders in a browser), and
// JPEG, GIF and WebP files whose headers carry the given dimensions (what sniffing and sizing read).

import { deflateSync } from 'node:zlib'

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  return Buffer.concat([Buffer.from(u32(data.length)), body, Buffer.from(u32(crc32(body)))])
}

/** A width × height RGB PNG, every pixel `rgb` (default a visible orange). */
export function png(width: number, height: number, rgb: [number, number, number] = [240, 120, 20]): Buffer {
  const row = Buffer.alloc(1 + width * 3)
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3)
  const raw = Buffer.concat(Array.from({ length: height }, () => row))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', Buffer.from([...u32(width), ...u32(height), 8, 2, 0, 0, 0])),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ])
}

/** A JPEG header (SOI, JFIF APP0, baseline SOF0 with the dimensions) and EOI. */
export function jpeg(width: number, height: number): Buffer {
  return Buffer.from([
    0xff, 0xd8,
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    0xff, 0xd9,
  ])
}

/** A GIF89a whose logical screen is width × height, holding one 1×1 image. */
export function gif(width: number, height: number): Buffer {
  return Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'), width & 255, width >> 8, height & 255, height >> 8, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x02, 0x02, 0x44, 0x01, 0x00,
    0x3b,
  ])
}

/** A WebP (VP8X container) whose canvas is width × height. */
export function webp(width: number, height: number): Buffer {
  const le24 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255]
  const vp8x = Buffer.from([...Buffer.from('VP8X', 'ascii'), 10, 0, 0, 0, 0, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)])
  const size = 4 + vp8x.length
  return Buffer.concat([Buffer.from('RIFF', 'ascii'), Buffer.from([size & 255, (size >> 8) & 255, 0, 0]), Buffer.from('WEBP', 'ascii'), vp8x])
}
