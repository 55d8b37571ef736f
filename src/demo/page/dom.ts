// Two DOM helpers of the demo page: find an element by id, and build one whose strings are text.

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

/** A small text button that runs `fn` on click. */
export function linkButton(label: string, cls: string, fn: () => void): HTMLButtonElement {
  const b = h('button', { class: `link ${cls}`, type: 'button' }, label)
  b.addEventListener('click', fn)
  return b
}
