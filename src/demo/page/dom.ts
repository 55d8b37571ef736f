// The two DOM helpers every part of the demo page uses.

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

/**
 * Re-renders a list and gives the focus back to the control that had it (buttons carry a stable
 * data-focus), so keyboard users do not lose their place when a change redraws the list.
 */
export function rerender(list: HTMLElement, children: Node[]) {
  const key = (document.activeElement as HTMLElement | null)?.dataset?.focus
  list.replaceChildren(...children)
  if (key) list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`)?.focus()
}

/** A small text button that runs `fn` on click. */
export function linkButton(label: string, cls: string, fn: () => void): HTMLButtonElement {
  const b = h('button', { class: `link ${cls}`, type: 'button' }, label)
  b.addEventListener('click', fn)
  return b
}
