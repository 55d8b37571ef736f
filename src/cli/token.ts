// `chatapi token create --tenant ID --user USER [--ttl-s N]`: mint a user token from the database's
// tenant secret (what a parent app's backend does with POST /v1/tokens), printed on one line.

import { systemClock } from '../clock'
import type { Config } from '../config'
import { openStore } from '../db/open-store'
import { invalid } from '../errors'
import { createLogger } from '../log'
import { createEventBus } from '../services/events'
import { createTenantService } from '../services/tenant'
import { createAuditLog } from '../services/audit'
import { createTokenService } from '../services/token'

export async function tokenCreate(config: Config, tenantId: string, userId: string, ttl: string | undefined, out: (line: string) => void): Promise<number> {
  const ttl_s = ttl === undefined ? undefined : /^\d+$/.test(ttl) ? Number(ttl) : NaN
  if (Number.isNaN(ttl_s)) throw invalid('--ttl-s', '--ttl-s must be a whole number of seconds')
  const opened = await openStore(config)
  try {
    const tenants = createTenantService({
      store: opened.store,
      clock: systemClock,
      config,
      events: createEventBus(createLogger(config.LOG_LEVEL)),
      audit: createAuditLog({ store: opened.store, clock: systemClock }),
    })
    const tenant = await tenants.authById(tenantId)
    if (!tenant) throw invalid('--tenant', `tenant ${tenantId} not found`)
    const tokens = createTokenService({ tenants, clock: systemClock })
    const { token } = await tokens.mint({ tenant, userId: 'cli', via: 'key' }, { user_id: userId, ttl_s })
    out(token)
    return 0
  } finally {
    await opened.close(false)
  }
}
