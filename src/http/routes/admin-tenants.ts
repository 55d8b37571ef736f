// /v1/admin/tenants: create (secrets shown once), list, get with usage, patch config, rotate secrets.

import { Elysia, t } from 'elysia'
import { adminErrorsWith, PathId } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { CreateTenantBody, CreatedTenant, PatchTenantBody, RotateKeyBody, RotatedSecret, Tenant, TenantList, TenantWithUsage } from '../../schemas/tenant'
import { adminSecurity, type RouteDeps } from '../deps'

const TenantParams = t.Object({ tenant_id: PathId('The tenant (tnt_…).', EX.tenantId) })

export const adminTenantsRoutes = (deps: RouteDeps) => {
  const { tenant } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['admin'], summary, description, security: adminSecurity })
  return new Elysia()
    .post(
      '/v1/admin/tenants',
      async ({ body, set }) => {
        const created = await tenant.create(body.name, body.config)
        set.status = 201
        return created
      },
      {
        body: CreateTenantBody,
        response: { 201: CreatedTenant, ...adminErrorsWith() },
        detail: detail(
          'createTenant',
          'Create a tenant; its three secrets are shown only here',
          'Creates a tenant (one customer app) with an optional config. The answer carries its API key, webhook secret and user-token secret: the only time they are shown (they are stored hashed or sealed).',
        ),
      },
    )
    .get('/v1/admin/tenants', async () => ({ tenants: await tenant.list() }), {
      response: { 200: TenantList, ...adminErrorsWith() },
      detail: detail('listTenants', 'List tenants (never with secrets)', 'Every tenant with its name and config; secrets are never listed.'),
    })
    .get(
      '/v1/admin/tenants/:tenant_id',
      async ({ params }) => tenant.get(params.tenant_id, await deps.broker.connectionCount(params.tenant_id)),
      {
        params: TenantParams,
        response: { 200: TenantWithUsage, ...adminErrorsWith(404) },
        detail: detail('getTenant', 'Get a tenant with usage figures', 'One tenant with its usage: rooms, messages and open WebSocket connections.'),
      },
    )
    .patch('/v1/admin/tenants/:tenant_id', ({ params, body }) => tenant.patch(params.tenant_id, body), {
      params: TenantParams,
      body: PatchTenantBody,
      response: { 200: Tenant, ...adminErrorsWith(404) },
      detail: detail(
        'updateTenant',
        'Rename a tenant or merge config keys (validated)',
        'Renames a tenant and/or merges config keys into its config (features key by key). Each value is checked and may not exceed the environment default (400 naming config.<key>).',
      ),
    })
    .post('/v1/admin/tenants/:tenant_id/rotate-key', ({ params, body }) => tenant.rotate(params.tenant_id, body?.which), {
      params: TenantParams,
      body: t.Optional(RotateKeyBody),
      response: { 200: RotatedSecret, ...adminErrorsWith(404) },
      detail: detail(
        'rotateTenantSecret',
        'Rotate the API key (default), webhook secret or user-token secret; the old one dies at once',
        'Replaces one secret and answers the new value. The old one stops working at once on every instance; WebSocket connections opened with a rotated API key are closed.',
      ),
    })
}
