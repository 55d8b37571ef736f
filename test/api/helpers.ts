// Small assertions and builders shared by the black-box REST suites (arrange through the public API only).

import { expect } from 'bun:test'
import type { CallOptions, CallResult } from '../support/http'

export type As = (method: string, path: string, opts?: CallOptions) => Promise<CallResult>

/** Asserts the SPEC §3 envelope with this status, code and (when given, or explicitly absent) field. */
export function expectError(r: CallResult, status: number, code: string, field?: string) {
  expect({ status: r.status, success: r.body?.success, code: r.body?.error?.code, field: r.body?.error?.field }).toEqual({
    status,
    success: false,
    code,
    field,
  })
  expect(typeof r.body.error.message).toBe('string')
}

/** Creates a room and returns its body; fails the test on anything but 201. */
export async function room(as: As, type: 'group' | 'channel' | 'dm', members: string[] = [], extra: Record<string, unknown> = {}) {
  const r = await as('POST', '/v1/rooms', { body: { type, members, ...extra } })
  if (r.status !== 201) throw new Error(`room create: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { room_id: string; [k: string]: any }
}

/** Sends a message and returns its ack; fails the test on anything but 201. */
export async function send(as: As, roomId: string, content: string, extra: Record<string, unknown> = {}) {
  const r = await as('POST', `/v1/rooms/${roomId}/messages`, { body: { content, ...extra } })
  if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { message_id: string; room_id: string; seq: number; created_at: string }
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
