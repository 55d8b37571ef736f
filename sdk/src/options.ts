// Connection options shared by the REST and realtime clients: where the server is, and who calls.

/** A value, or a function that gives it (called again before every connection or request). */
export type Source<T> = T | (() => T | Promise<T>)

export interface ClientOptions {
  /**
   * The server's base URL (`https://chat.example.com`, or with a path prefix behind a proxy), or a
   * function that returns it: called before every request and every reconnect, so a client can
   * follow a server that moved.
   */
  baseUrl: Source<string>
  /** A user token (browsers, mobile): a JWT from your backend (`POST /v1/tokens`). A function is
   * called again on every reconnect, so it can fetch a fresh token. */
  token?: Source<string>
  /** Server-side only: the tenant API key, with `userId` (the end user the calls act for). */
  apiKey?: string
  userId?: string
  /** Refuse to run with an API key in a browser (it would leak) unless this is set. */
  dangerouslyAllowApiKeyInBrowser?: boolean
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch
  /** Extra headers on every REST call (never credentials: use token or apiKey). */
  headers?: Record<string, string>
}

export const isBrowser = (): boolean =>
  typeof (globalThis as { document?: unknown }).document !== 'undefined' && typeof (globalThis as { window?: unknown }).window !== 'undefined'

/** Runtimes whose WebSocket takes `{ headers }` (Bun, Node.js); browsers and workers do not. */
export const wsHeadersSupported = (): boolean => {
  const g = globalThis as { Bun?: unknown; process?: { versions?: { node?: string } } }
  return g.Bun !== undefined || (!isBrowser() && typeof g.process?.versions?.node === 'string')
}

export async function resolve<T>(s: Source<T>): Promise<T> {
  return typeof s === 'function' ? await (s as () => T | Promise<T>)() : s
}

/** Checks the credentials once at construction: exactly one of token or apiKey+userId. */
export function checkCredentials(o: ClientOptions): void {
  if (o.token !== undefined && o.apiKey !== undefined) throw new TypeError('give either token or apiKey + userId, not both')
  if (o.token === undefined && o.apiKey === undefined) throw new TypeError('credentials missing: give token, or apiKey + userId')
  if (o.apiKey !== undefined && !o.userId) throw new TypeError('apiKey needs userId (the end user the calls act for)')
  if (o.apiKey !== undefined && isBrowser() && !o.dangerouslyAllowApiKeyInBrowser)
    throw new TypeError('an API key must never be used in a browser: mint a user token on your backend (POST /v1/tokens) and pass it as token')
}

/** Joins a path onto the base URL, keeping any path prefix of the base. */
export function joinUrl(base: string, path: string): URL {
  const b = base.endsWith('/') ? base : base + '/'
  return new URL(path.replace(/^\//, ''), b)
}
