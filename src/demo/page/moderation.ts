// The demo page's moderation controls (SPEC §14), kept small: report someone else's message (spam,
// abuse or other), block or unblock another member, and, for a room's owner or admins, mute or
// ban a member from the member list. Refusals (muted, read-only, blocked) show the server's reason.

import type { ChatClient, Member, Message, Role } from '../../../sdk/src/index'
import { h, linkButton } from './dom'

export interface ModerationContext {
  client: ChatClient
  me: string
  roomId: string
  /** The caller's role in the open room. */
  myRole: Role | undefined
  blocked: Set<string>
  showError(e: unknown): void
  /** Redraw after a change (the member list, the messages). */
  refresh(): void
}

/** "report" next to a message of someone else: a choice of reason, then a note that it was filed. */
export function reportControl(m: Message, ctx: ModerationContext): HTMLElement {
  const box = h('span', { class: 'report' })
  const file = (reason: 'spam' | 'abuse' | 'other') =>
    ctx.client.rest
      .report({ room_id: m.room_id, message_id: m.message_id, reason })
      .then(() => box.replaceChildren(h('span', { class: 'reported' }, 'reported')))
      .catch((e) => ctx.showError(e))
  box.append(
    linkButton('report', 'report-open', () =>
      box.replaceChildren(...(['spam', 'abuse', 'other'] as const).map((r) => linkButton(r, `report-${r}`, () => void file(r)))),
    ),
  )
  return box
}

/** Block/unblock for every other member; mute and ban for the owner (anyone else) or an admin (plain members). */
export function memberControls(m: Member, ctx: ModerationContext): HTMLElement[] {
  if (m.user_id === ctx.me) return []
  const run = (p: Promise<unknown>) => p.then(ctx.refresh, (e) => ctx.showError(e))
  const out: HTMLElement[] = []
  if (ctx.blocked.has(m.user_id))
    out.push(linkButton('unblock', 'unblock', () => void run(ctx.client.rest.unblockUser(m.user_id).then(() => ctx.blocked.delete(m.user_id)))))
  else out.push(linkButton('block', 'block', () => void run(ctx.client.rest.blockUser(m.user_id).then(() => ctx.blocked.add(m.user_id)))))
  const canModerate = ctx.myRole === 'owner' ? m.role !== 'owner' : ctx.myRole === 'admin' && m.role === 'member'
  if (canModerate) {
    out.push(linkButton('mute', 'mute', () => void run(ctx.client.rest.muteInRoom(ctx.roomId, { user_id: m.user_id, duration_s: 600 }))))
    out.push(linkButton('ban', 'ban', () => void run(ctx.client.rest.banFromRoom(ctx.roomId, { user_id: m.user_id }))))
  }
  return out
}

/** The caller's blocks, read once at sign-in (one page is plenty for a demo). */
export async function loadBlocks(client: ChatClient): Promise<Set<string>> {
  return new Set((await client.rest.listBlocks({ limit: 200 })).blocks.map((b) => b.user_id))
}
