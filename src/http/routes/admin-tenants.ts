// /v1/admin/tenants: create (secrets shown once), list, get with usage, patch config, rotate secrets.

import { Elysia, t } from 'elysia'
import { adminErrors } from '../../schemas/common'
import { CreateTenantBody, CreatedTenant, PatchTenantBody, RotateKeyBody, RotatedSecret, Tenant, TenantList, TenantWithUsage } from '../../schemas/tenant'
import { adminSecurity, type RouteDeps } from '../deps'

const TenantParams = t.Object({ tenant_id: t.String() })

export const adminTenantsRoutes = (deps: RouteDeps) => {
  const { tenant } = deps.services
  const detail = (summary: string) => ({ tags: ['admin'], summary, security: adminSecurity })
  return new Elysia()
    .post(
      '/v1/admin/tenants',
      async ({ body, set }) => {
        const created = await tenant.create(body.name, body.config)
        set.status = 201
        return created
      },
      { body: CreateTenantBody, response: { 201: CreatedTenant, ...adminErrors }, detail: detail('Create a tenant; its three secrets are shown only here') },
    )
    .get('/v1/admin/tenants', async () => ({ tenants: await tenant.list() }), {
      response: { 200: TenantList, ...adminErrors },
      detail: detail('List tenants (never with secrets)'),
    })
    .get(
      '/v1/admin/tenants/:tenant_id',
      async ({ params }) => tenant.get(params.tenant_id, await deps.broker.connectionCount(params.tenant_id)),
      { params: TenantParams, response: { 200: TenantWithUsage, ...adminErrors }, detail: detail('Get a tenant with usage figures') },
    )
    .patch('/v1/admin/tenants/:tenant_id', ({ params, body }) => tenant.patch(params.tenant_id, body), {
      params: TenantParams,
      body: PatchTenantBody,
      response: { 200: Tenant, ...adminErrors },
      detail: detail('Rename a tenant or merge config keys (validated)'),
    })
    .post('/v1/admin/tenants/:tenant_id/rotate-key', ({ params, body }) => tenant.rotate(params.tenant_id, body?.which), {
      params: TenantParams,
      body: t.Optional(RotateKeyBody),
      response: { 200: RotatedSecret, ...adminErrors },
      detail: detail('Rotate the API key (default), webhook secret or user-token secret; the old one dies at once'),
    })
}
