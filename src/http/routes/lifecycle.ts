// The data lifecycle routes (SPEC §15): room delete, user erase, exports, jobs. Exports answer a
// stream of application/x-ndjson; every other answer is JSON.

import { Elysia, t } from 'elysia'
import { tenantErrors } from '../../schemas/common'
import { Job, JobAccepted, RoomExportLine, UserExportLine } from '../../schemas/lifecycle'
import type { ExportService } from '../../services/export'
import type { LifecycleService } from '../../services/lifecycle'
import { actorOf, appLevel, callerOf, tenantSecurity, type RouteDeps } from '../deps'

const RoomParams = t.Object({ room_id: t.String({ description: 'room id' }) })
const UserParams = t.Object({ user_id: t.String({ description: 'the user id chosen by the parent app' }) })
const JobParams = t.Object({ job_id: t.String({ description: 'job id (job_…)' }) })

const NDJSON = 'application/x-ndjson'
/** The 200 of an export in the document: a stream of lines, each one of `line` (not JSON, so not a `response` schema). */
const ndjsonAnswer = (line: object) => ({
  200: { description: 'a stream of application/x-ndjson: one JSON object per line, each ending with \\n', content: { [NDJSON]: { schema: line } } },
})
const stream = (body: ReadableStream<Uint8Array>) => new Response(body, { headers: { 'content-type': NDJSON, 'cache-control': 'no-store' } })

export const lifecycleRoutes = (deps: RouteDeps, lifecycle: LifecycleService, exports: ExportService) => {
  const detail = (tag: string, summary: string, description: string) => ({ tags: [tag], summary, description, security: tenantSecurity })
  const exportDetail = (line: object, tag: string, summary: string, description: string) => ({ ...detail(tag, summary, description), responses: ndjsonAnswer(line) })
  return new Elysia()
    .delete(
      '/v1/rooms/:room_id',
      async ({ request, params, set }) => {
        await lifecycle.deleteRoom(actorOf(deps, request), params.room_id)
        set.status = 204
      },
      {
        params: RoomParams,
        response: { 204: t.Void({ description: 'deleted: the room is gone for everyone' }), ...tenantErrors },
        detail: detail(
          'rooms',
          'Delete a room (its owner; not a dm)',
          'The owner of a group or channel deletes it. It is gone at once for everyone (404), its members get a `room.deleted` frame and the tenant webhook `room.deleted`; its messages and members are removed in the background. A dm cannot be deleted (403); a member who is not the owner gets 403.',
        ),
      },
    )
    .post(
      '/v1/users/:user_id/erase',
      async ({ request, params, set }) => {
        const r = await lifecycle.eraseUser(callerOf(deps, request), params.user_id)
        set.status = 202
        return r
      },
      {
        params: UserParams,
        response: { 202: JobAccepted, ...tenantErrors },
        detail: appLevel(
          detail(
            'lifecycle',
            'Erase a user (API key only)',
            'Starts a job that deletes every message the user sent (as a delete: content and meta gone, the seq stays), and removes their memberships (with their cursors), subscriptions and pending notifications. A group or channel they own passes to its earliest-joined admin, else its earliest-joined member. Webhook `user.erased` when done. Follow the job with GET /v1/jobs/{job_id}.',
          ),
        ),
      },
    )
    .get('/v1/users/:user_id/export', async ({ request, params }) => stream(await exports.user(callerOf(deps, request), params.user_id)), {
      params: UserParams,
      response: tenantErrors,
      detail: appLevel(
        exportDetail(UserExportLine,
          'lifecycle',
          "Export a user's data (API key only; NDJSON)",
          'Streams everything held about the user, one `{"type": T, "<T>": object}` per line: `membership` lines (their rooms with role and cursors), `message` lines (every message they sent, in any room of the tenant) and `subscription` lines. Streamed with constant memory at any size.',
        ),
      ),
    })
    .get('/v1/rooms/:room_id/export', async ({ request, params }) => stream(await exports.room(callerOf(deps, request), params.room_id)), {
      params: RoomParams,
      response: tenantErrors,
      detail: appLevel(
        exportDetail(RoomExportLine,
          'lifecycle',
          'Export a room (API key only; NDJSON)',
          'Streams one `room` line, then a `member` line per member (join order), then every `message` in ascending seq, each object as the API returns it. With X-User-Id, only a room that user may read. Streamed with constant memory at any size.',
        ),
      ),
    })
    .get('/v1/jobs/:job_id', ({ request, params }) => lifecycle.job(callerOf(deps, request), params.job_id), {
      params: JobParams,
      response: { 200: Job, ...tenantErrors },
      detail: appLevel(detail('lifecycle', 'A job of this tenant (API key only)', 'Status and progress of an erase (or another job of this tenant). Jobs survive a restart of the server: they resume.')),
    })
}
