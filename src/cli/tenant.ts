// `chatapi tenant create --name NAME`: create a tenant through the tenant service; prints secrets once.

import { systemClock } from '../clock'
import type { Config } from '../config'
import { openStore } from '../db/open-store'
import { createLogger } from '../log'
import { createEventBus } from '../services/events'
import { createTenantService } from '../services/tenant'
import { createAuditLog } from '../services/audit'

export async function tenantCreate(config: Config, name: string, out: (line: string) => void): Promise<number> {
  const opened = await openStore(config)
  try {
    const tenants = createTenantService({
      store: opened.store,
      clock: systemClock,
      config,
      events: createEventBus(createLogger(config.LOG_LEVEL)),
      audit: createAuditLog({ store: opened.store, clock: systemClock }),
    })
    out(JSON.stringify(await tenants.create(name), null, 2))
    return 0
  } finally {
    await opened.close(false)
  }
}
