// DOM helpers shared by the pages the server bundles for the browser (the demo, src/demo/page/, and
// the admin console, src/admin/page/): each page's dom.ts re-exports them next to its own pieces.
// Browser code only: type-checked with each page's tsconfig (DOM lib), not the server's, and bundled
// into each page's script by its bundle.ts.

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T

/** Creates an element; strings become text nodes (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c)
  return el
}
