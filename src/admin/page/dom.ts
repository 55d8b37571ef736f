// DOM helpers of the admin console: `$` and `h` (element builders that never parse HTML), shared
// with the demo page (src/browser/dom.ts), and small UI pieces (a two-step confirm button, a copy
// button) used by the sections.

import { h } from '../../browser/dom'

export { $, h } from '../../browser/dom'

/** A button that asks for a second press before acting (no window.confirm: it blocks and is easy to miss). */
export function confirmButton(label: string, confirmLabel: string, attrs: Record<string, string>, act: () => Promise<void>) {
  const b = h('button', { type: 'button', ...attrs }, label)
  let armed: ReturnType<typeof setTimeout> | null = null
  const disarm = () => {
    if (armed) clearTimeout(armed)
    armed = null
    b.textContent = label
    b.classList.remove('armed')
  }
  b.addEventListener('click', async () => {
    if (!armed) {
      b.textContent = confirmLabel
      b.classList.add('armed')
      armed = setTimeout(disarm, 5000)
      return
    }
    disarm()
    b.disabled = true
    try {
      await act()
    } finally {
      b.disabled = false
    }
  })
  b.addEventListener('blur', disarm)
  return b
}

/** Copies text to the clipboard; falls back to a selected textarea where the Clipboard API is refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' })
    area.value = text
    document.body.append(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}

export const fmtTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—')
export const fmtBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`)

/** Shows a message in a status line for a while (role=status or role=alert elements). */
export function say(el: HTMLElement, text: string, ms = 8000) {
  el.textContent = text
  if (text) setTimeout(() => (el.textContent === text ? (el.textContent = '') : null), ms)
}
