// CORS from CORS_ORIGINS (SPEC §4): explicit origins, no credentials, nothing at all when unset.

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-Id, X-API-Key, X-User-Id'
const EXPOSED_HEADERS = 'X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After'
const METHODS = 'GET, POST, PATCH, DELETE, OPTIONS'

export function createCors(originsVar: string) {
  const origins = originsVar.split(',').map((s) => s.trim()).filter(Boolean)
  const any = origins.includes('*')
  const enabled = origins.length > 0

  /** CORS headers for this request's Origin, or none when it is not allowed (or CORS is off). */
  function headersFor(request: Request): Record<string, string> {
    const origin = request.headers.get('origin')
    if (!enabled || !origin) return {}
    if (!any && !origins.includes(origin)) return {}
    return {
      'access-control-allow-origin': any ? '*' : origin,
      'access-control-expose-headers': EXPOSED_HEADERS,
      ...(any ? {} : { vary: 'Origin' }),
    }
  }

  /** A 204 preflight answer, or null when this is not a CORS preflight we serve. */
  function preflight(request: Request): Response | null {
    if (!enabled || request.method !== 'OPTIONS' || !request.headers.get('access-control-request-method')) return null
    const h = headersFor(request)
    if (!h['access-control-allow-origin']) return null
    return new Response(null, {
      status: 204,
      headers: {
        ...h,
        'access-control-allow-methods': METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      },
    })
  }

  return { enabled, headersFor, preflight }
}
export type Cors = ReturnType<typeof createCors>
