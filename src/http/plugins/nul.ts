// U+0000 in a request URL (SPEC §3 validation): a path id or a query value that decodes to NUL is a
// 400 on that parameter, before any store sees it (PostgreSQL `text` cannot hold NUL).

import { AppError } from '../../errors'
import { NUL_MESSAGE } from '../../schemas/common'

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '))
  } catch {
    return s // malformed escapes are the route's business, not this check's
  }
}

/**
 * Refuses a URL whose path segments or query parameters decode to a string holding U+0000. `url` is
 * the full request URL, `path` its raw path, `route` the matched template (`/v1/rooms/:room_id`): the
 * template names the parameter for the error's `field`. Raw NUL bytes never get here (Bun's parser
 * refuses them), so a URL without "%00" is passed at the cost of one search.
 */
export function refuseNulInUrl(url: string, path: string, route: string): void {
  if (!url.includes('%00')) return
  const segments = path.split('/')
  const names = route.split('/')
  for (let i = 0; i < segments.length; i++) {
    if (!segments[i].includes('%00') || !decode(segments[i]).includes('\0')) continue
    const name = names[i]?.startsWith(':') ? names[i].slice(1) : undefined
    throw new AppError('VALIDATION_ERROR', NUL_MESSAGE, name)
  }
  const q = url.indexOf('?')
  if (q === -1) return
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair.includes('%00')) continue
    const eq = pair.indexOf('=')
    const key = decode(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1))
    if (key.includes('\0')) throw new AppError('VALIDATION_ERROR', NUL_MESSAGE)
    if (value.includes('\0')) throw new AppError('VALIDATION_ERROR', NUL_MESSAGE, key)
  }
}
