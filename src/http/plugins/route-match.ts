// Knows which (method, path) pairs exist, so an unknown route is 404 before any credential check (SPEC §3).

export interface RouteInfo {
  method: string
  path: string
}

export interface RouteMatcher {
  /** The route template that serves this request, or null (unknown path or unsupported method: 404). */
  match(method: string, pathname: string): string | null
}

export function createRouteMatcher(routes: RouteInfo[]): RouteMatcher {
  const compiled = routes
    .filter((r) => r.method !== 'ALL' || r.path.startsWith('/ws'))
    .map((r) => ({
      method: r.method === 'WS' ? 'GET' : r.method,
      template: r.path,
      re: new RegExp('^' + r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+') + '/?$'),
    }))
  return {
    match(method, pathname) {
      const m = method === 'HEAD' ? 'GET' : method
      for (const r of compiled) if (r.method === m && r.re.test(pathname)) return r.template
      return null
    },
  }
}
