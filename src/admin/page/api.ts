// The console's only way to the server: same-origin fetch with the master key in the X-Master-Key
// header (never in a URL or a cookie). Errors arrive as the API's envelope and become ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the error is about (`name`, `config.rate_limit_per_sec`, …), when the API names one. */
    readonly field?: string,
  ) {
    super(message)
  }
}

export type Api = <T = any>(method: string, path: string, body?: unknown) => Promise<T>

const KEY = 'chatapi.admin.masterKey'

export const storedKey = () => sessionStorage.getItem(KEY)
export const storeKey = (key: string) => sessionStorage.setItem(KEY, key)
export const forgetKey = () => sessionStorage.removeItem(KEY)

/** An API client bound to a master key; `onUnauthorized` runs when the server refuses it (401). */
export function createApi(masterKey: string, onUnauthorized: () => void): Api {
  return async (method, path, body) => {
    const headers: Record<string, string> = { 'x-master-key': masterKey, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' })
    if (res.status === 204) return undefined as never
    const text = await res.text()
    let json: any = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {}
    if (!res.ok) {
      const e = json?.error
      if (res.status === 401) onUnauthorized()
      throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (text.slice(0, 200) || res.statusText), e?.field)
    }
    return json
  }
}

/** GET without credentials (/health). */
export async function getPublic<T = any>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(path, { credentials: 'omit', cache: 'no-store' })
  return { status: res.status, body: (await res.json().catch(() => null)) as T }
}

export const describeError = (e: unknown) => (e instanceof ApiError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e))
