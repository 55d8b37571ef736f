// /v1/admin/tenants: create (secrets shown once), list, get with usage, patch config, rotate secrets,
// delete; /v1/admin/jobs: any job.

import { Elysia, t } from 'elysia'
import { adminErrors, PageQuery } from '../../schemas/common'
import { Job, JobAccepted } from '../../schemas/lifecycle'
import type { LifecycleService } from '../../services/lifecycle'
import { CreateTenantBody, CreatedTenant, PatchTenantBody, RotateKeyBody, RotatedSecret, Tenant, TenantList, TenantWithUsage } from '../../schemas/tenant'
import { adminSecurity, type RouteDeps } from '../deps'

const TenantParams = t.Object({ tenant_id: t.String() })

export const adminTenantsRoutes = (deps: RouteDeps, lifecycle: LifecycleService) => {
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
    .get('/v1/admin/tenants', ({ query }) => tenant.list(query), {
      query: PageQuery,
      response: { 200: TenantList, ...adminErrors },
      detail: detail('List tenants, oldest first, a page at a time (never with secrets)'),
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
    .delete(
      '/v1/admin/tenants/:tenant_id',
      async ({ params, set }) => {
        const r = await lifecycle.deleteTenant(params.tenant_id)
        set.status = 202
        return r
      },
      {
        params: TenantParams,
        response: { 202: JobAccepted, ...adminErrors },
        detail: detail('Delete a tenant: its keys, tokens and sockets die at once (1008); its data goes in the background'),
      },
    )
    .get('/v1/admin/jobs/:job_id', ({ params }) => lifecycle.adminJob(params.job_id), {
      params: t.Object({ job_id: t.String() }),
      response: { 200: Job, ...adminErrors },
      detail: detail('Any job: status and progress (jobs survive a restart: they resume)'),
    })
}
