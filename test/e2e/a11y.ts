// Keyboard and label checks for the browser suites: every control on screen has an accessible name
// (as Chromium computes it for screen readers, through the DevTools protocol) and is reached by Tab.

import type { Page } from 'playwright-core'

// The callbacks given to evaluate run in the page, where these exist.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any

/** Roles of the controls one operates: each must have a name to be found by a screen reader. */
const CONTROL_ROLES = new Set(['button', 'textbox', 'searchbox', 'combobox', 'checkbox', 'radio', 'switch', 'spinbutton', 'slider', 'link'])

interface AXSource {
  type: string
  attribute?: string
  superseded?: boolean
  value?: { value?: string }
}
interface AXNode {
  ignored: boolean
  role?: { value: string }
  name?: { value: string; sources?: AXSource[] }
  backendDOMNodeId?: number
}

/**
 * Where the name came from. A placeholder or a title is a fallback a browser uses, not a label
 * (WCAG: the placeholder disappears as one types, a title is shown on hover only).
 */
const namedByFallback = (n: AXNode) => {
  const won = n.name?.sources?.find((src) => !src.superseded && src.value?.value)
  return won !== undefined && (won.type === 'placeholder' || won.attribute === 'placeholder' || won.attribute === 'title')
}

/**
 * The controls on screen (hidden ones are not in the accessibility tree) that have no accessible
 * name from a label, aria-label, aria-labelledby or their text. Each is given as its tag, id and role.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Accessibility.enable')
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] }
    const bad: string[] = []
    for (const n of nodes) {
      const role = n.role?.value ?? ''
      if (n.ignored || !CONTROL_ROLES.has(role) || ((n.name?.value ?? '').trim() && !namedByFallback(n))) continue
      const { node } = (await cdp.send('DOM.describeNode', { backendNodeId: n.backendDOMNodeId! })) as {
        node: { localName: string; attributes?: string[] }
      }
      const attrs = node.attributes ?? []
      const id = attrs[attrs.indexOf('id') + 1]
      bad.push(`${node.localName}${attrs.includes('id') ? `#${id}` : ''} (${role}${namedByFallback(n) ? ', named by its placeholder or title only' : ''})`)
    }
    return bad
  } finally {
    await cdp.detach()
  }
}

/** How many controls are on screen and usable (visible, not disabled). */
export async function controlsOnScreen(page: Page): Promise<number> {
  return page.evaluate(markControls)
}

/**
 * The usable controls on screen that pressing Tab never focuses (a tabindex of -1, a click handler
 * on something that is not a control, …). Walks the whole tab order from the top of the page.
 */
export async function unreachableByTab(page: Page): Promise<string[]> {
  const count = await page.evaluate(markControls)
  await page.evaluate(() => document.activeElement?.blur())
  const reached = new Set<string>()
  for (let i = 0; i < count * 2 + 5 && reached.size < count; i++) {
    await page.keyboard.press('Tab')
    const k = await page.evaluate(() => document.activeElement?.dataset?.kbd ?? null)
    if (k !== null) reached.add(k)
  }
  return page.evaluate((seen: string[]) => {
    const all = [...document.querySelectorAll('[data-kbd]')] as any[]
    return all.filter((el) => !seen.includes(el.dataset.kbd)).map((el) => `${el.localName}${el.id ? `#${el.id}` : ''}: ${el.textContent?.trim().slice(0, 40) ?? ''}`)
  }, [...reached])
}

// Runs in the page (passed to evaluate as it is, so it may use nothing from this module): numbers the visible, enabled controls as data-kbd.
function markControls(): number {
  for (const el of document.querySelectorAll('[data-kbd]')) delete el.dataset.kbd
  const els = [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex]')].filter(
    (el: any) => el.offsetParent !== null && !el.disabled && el.type !== 'hidden',
  ) as any[]
  els.forEach((el, i) => (el.dataset.kbd = String(i)))
  return els.length
}
