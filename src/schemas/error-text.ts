// One wording for schema validation failures (REST bodies and queries, WebSocket frames): the
// message names the input and the rule it broke, derived from the schema, never written per route.

import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import type { TSchema } from '@sinclair/typebox'

export interface ErrorText {
  /** The top-level input at fault (SPEC §10: plain names such as `members`), or undefined for the whole value. */
  field?: string
  message: string
}

/** `a group`, `an admin`. */
export const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)

/** What a schema accepts, in words: `one of dm, group, channel`, `an integer`, `a string or null`. */
export function expected(schema: TSchema): string {
  const s = schema as TSchema & { anyOf?: TSchema[]; const?: unknown; type?: string }
  if (s.anyOf) {
    if (s.anyOf.every((x) => 'const' in x)) return `one of ${s.anyOf.map((x) => String(x.const)).join(', ')}`
    return s.anyOf.map(expected).join(' or ')
  }
  if ('const' in s) return JSON.stringify(s.const)
  switch (s.type) {
    case 'null':
      return 'null'
    case 'array':
      return 'an array'
    case 'object':
      return 'a JSON object'
    case undefined:
      return 'a valid value'
    default:
      return article(s.type)
  }
}

/** `/members/0` → `members[0]`, `/targets/user_ids` → `targets.user_ids`. */
function label(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('')
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`

/**
 * The text for the first failure of a schema check. `kind` says what the whole value is ("a group",
 * "send_message") so a missing field reads "members is required for a group"; `root` names the
 * whole value when it is itself at fault ("body").
 */
export function describeValueError(e: ValueError, o: { kind?: string; root?: string } = {}): ErrorText {
  const parts = e.path.split('/').filter(Boolean)
  const field = parts[0] ?? o.root
  const what = label(e.path) || o.root || 'the value'
  const s = e.schema as Record<string, any>
  const text = (message: string): ErrorText => ({ field, message })
  // A missing property fails as "expected <type>" with no value (or as a required property).
  if (parts.length > 0 && (e.value === undefined || e.type === ValueErrorType.ObjectRequiredProperty))
    return text(`${what} is required${o.kind && parts.length === 1 ? ` for ${o.kind}` : ''}`)
  switch (e.type) {
    case ValueErrorType.StringMinLength:
      return text(s.minLength === 1 ? `${what} must not be empty` : `${what} must be at least ${plural(s.minLength, 'character')}`)
    case ValueErrorType.StringMaxLength:
      return text(`${what} must be at most ${plural(s.maxLength, 'character')}`)
    case ValueErrorType.StringPattern:
      return text(`${what} must match ${s.pattern}`)
    case ValueErrorType.StringFormat:
      return text(`${what} must be ${article(String(s.format))}`)
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return text(`${what} must be at least ${s.minimum}`)
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return text(`${what} must be at most ${s.maximum}`)
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return text(`${what} must be greater than ${s.exclusiveMinimum}`)
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return text(`${what} must be less than ${s.exclusiveMaximum}`)
    case ValueErrorType.ArrayMinItems:
      return text(`${what} must have at least ${plural(s.minItems, 'item')}`)
    case ValueErrorType.ArrayMaxItems:
      return text(`${what} must have at most ${plural(s.maxItems, 'item')}`)
    case ValueErrorType.ObjectAdditionalProperties:
      return text(`${what} is not a known field`)
    default:
      // A type, literal or union mismatch: say what would have been accepted.
      return text(`${what} must be ${expected(e.schema)}`)
  }
}
