// Topic names; every builder takes the tenant, so fan-out can never cross tenants (ARCHITECTURE §3).

export const topics = {
  room: (tenantId: string, roomId: string) => `t:${tenantId}:room:${roomId}`,
  user: (tenantId: string, userId: string) => `t:${tenantId}:user:${userId}`,
  topic: (tenantId: string, name: string) => `t:${tenantId}:topic:${name}`,
}

/** Tenant and user of a topic built by topics.user (the local broker keys its registry by it). */
export function userOfTopic(topic: string): { tenantId: string; userId: string } {
  const end = topic.indexOf(':', 2) // tenant ids never hold ':'; user ids may
  return { tenantId: topic.slice(2, end), userId: topic.slice(end + ':user:'.length) }
}

/** The tenant of any topic built above (metrics count fan-out by tenant for the admin console). */
export function tenantOfTopic(topic: string): string | null {
  const end = topic.indexOf(':', 2) // tenant ids never hold ':'
  return topic.startsWith('t:') && end !== -1 ? topic.slice(2, end) : null
}

/** True for a topic built by topics.user. */
export const isUserTopic = (topic: string) => topic.startsWith(':user:', topic.indexOf(':', 2))

/** Tenant and room of a topic built by topics.room; null for any other topic. */
export function roomOfTopic(topic: string): { tenantId: string; roomId: string } | null {
  const end = topic.indexOf(':', 2) // tenant ids never hold ':'
  if (!topic.startsWith('t:') || end === -1 || !topic.startsWith(':room:', end)) return null
  return { tenantId: topic.slice(2, end), roomId: topic.slice(end + ':room:'.length) }
}
