// The DOM helpers every part of the demo page uses: `$` and `h`, shared with the admin console
// (src/browser/dom.ts), and the demo's own list and button pieces.

import { h } from '../../browser/dom'

export { $, h } from '../../browser/dom'

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
