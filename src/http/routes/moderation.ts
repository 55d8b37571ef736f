// /v1/moderation/* (SPEC §14): what the parent app does with its API key alone — tenant-wide bans,
// the report review queue and the tenant's audit log. A user token gets 403.

import { Elysia, t } from 'elysia'
import { PageQuery, tenantErrorsWith } from '../../schemas/common'
import { AuditList, BanBody, Report, ReportList, ReportParams, ReportQuery, ResolveReportBody, TenantBan, TenantBanList, UserParams } from '../../schemas/moderation'
import { appLevel, appSecurity, callerOf, chargedPage, created, noContent, type RouteDeps } from '../deps'

export const moderationRoutes = (deps: RouteDeps) => {
  const { moderation, reports, audit } = deps.services
  const detail = (operationId: string, summary: string, description: string) =>
    appLevel({ operationId, tags: ['moderation'], summary, description: `${description} API key only (X-User-Id optional; a user token gets 403).`, security: appSecurity })
  return new Elysia()
    .post(
      '/v1/moderation/bans',
      ({ request, body, set }) => created(set, moderation.banFromTenant(callerOf(deps, request), body)),
      {
        body: BanBody,
        response: { 201: { ...TenantBan, description: 'Banned (a ban already there is replaced).' }, ...tenantErrorsWith(403) },
        detail: detail(
          'banUser',
          'Ban a user from the whole tenant',
          "Until the ban ends, every REST call of the user answers 403, their open WebSocket connections close with 1008 on every instance, and new ones are refused with 403. Their memberships stay. Without duration_s the ban lasts until lifted.",
        ),
      },
    )
    .get(
      '/v1/moderation/bans',
      ({ request, query, set }) => chargedPage(deps, request, set, moderation.tenantBans(callerOf(deps, request), query), (page) => page.bans.length),
      {
        query: PageQuery,
        response: { 200: TenantBanList, ...tenantErrorsWith(403) },
        detail: detail('listUserBans', "The tenant's bans in force", 'Tenant-wide bans that have not ended, oldest first. Costs one rate-limit token per started 100 bans returned.'),
      },
    )
    .delete(
      '/v1/moderation/bans/:user_id',
      ({ request, params, set }) => noContent(set, moderation.unbanFromTenant(callerOf(deps, request), params.user_id)),
      {
        params: UserParams,
        response: { 204: t.Void({ description: 'Lifted (also when there was no ban).' }), ...tenantErrorsWith(403) },
        detail: detail('unbanUser', 'Lift a tenant-wide ban', 'The user may call and connect again at once, on every instance.'),
      },
    )
    .get(
      '/v1/moderation/reports',
      ({ request, query, set }) => chargedPage(deps, request, set, reports.list(callerOf(deps, request), query), (page) => page.reports.length),
      {
        query: ReportQuery,
        response: { 200: ReportList, ...tenantErrorsWith(403) },
        detail: detail('listReports', 'The report review queue, oldest first', 'Reports filed by members, oldest first; status=open is the queue still to review. Costs one rate-limit token per started 100 reports returned.'),
      },
    )
    .post('/v1/moderation/reports/:report_id/resolve', ({ request, params, body }) => reports.resolve(callerOf(deps, request), params.report_id, body), {
      params: ReportParams,
      body: ResolveReportBody,
      response: { 200: { ...Report, description: 'Resolved; its action was carried out.' }, ...tenantErrorsWith(403, 404, 409) },
      detail: detail(
        'resolveReport',
        'Resolve a report, carrying out its action',
        'dismiss does nothing more; delete_message deletes the reported message (400 when the report names none); mute_user and ban_user mute or ban the reported user in the report\'s room, for duration_s or until lifted (never the room\'s owner: 403). A report already resolved answers 409.',
      ),
    })
    .get(
      '/v1/moderation/audit',
      ({ request, query, set }) => chargedPage(deps, request, set, audit.forTenant(callerOf(deps, request), query), (page) => page.entries.length),
      {
        query: PageQuery,
        response: { 200: AuditList, ...tenantErrorsWith(403) },
        detail: detail(
          'tenantAudit',
          "The tenant's audit log, newest first",
          'Every moderation action (bans, mutes, read-only changes, blocks, reports) and every admin action on this tenant (creation, config changes, secret rotations, dead-letter retries and deletions), newest first. No entry ever carries a secret. Costs one rate-limit token per started 100 entries returned.',
        ),
      },
    )
}

