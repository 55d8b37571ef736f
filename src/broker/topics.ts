// Topic names; every builder takes the tenant, so fan-out can never cross tenants (ARCHITECTURE §3).

export const topics = {
  room: (tenantId: string, roomId: string) => `t:${tenantId}:room:${roomId}`,
  user: (tenantId: string, userId: string) => `t:${tenantId}:user:${userId}`,
  topic: (tenantId: string, name: string) => `t:${tenantId}:topic:${name}`,
}
