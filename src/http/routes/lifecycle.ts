// The data lifecycle routes (SPEC §15): room delete, user erase, exports, jobs. Exports answer a
// stream of application/x-ndjson; every other answer is JSON.

import { Elysia, t } from 'elysia'
import { PathId, tenantErrorsWith } from '../../schemas/common'
import { EX } from '../../schemas/examples'
import { Job, JobAccepted, RoomExportLine, UserExportLine } from '../../schemas/lifecycle'
import { RoomParams } from '../../schemas/room'
import { actorOf, appLevel, appSecurity, callerOf, MEDIA_TYPE, tenantSecurity, type RouteDeps } from '../deps'

const UserParams = t.Object({ user_id: PathId('The user, as the parent app names them.', 'alice') })
const JobParams = t.Object({ job_id: PathId('The job (job_…).', EX.jobId) })

const NDJSON = 'application/x-ndjson'
const stream = (body: ReadableStream<Uint8Array>) => new Response(body, { headers: { 'content-type': NDJSON, 'cache-control': 'no-store' } })

export const lifecycleRoutes = (deps: RouteDeps) => {
  const { lifecycle, exports } = deps.services
  const detail = (operationId: string, summary: string, description: string) => ({ operationId, tags: ['lifecycle'], summary, description })
  /** An export's detail: its 200 is NDJSON lines, each one of the `response` 200 schema (document.ts MEDIA_TYPE). */
  const exportDetail = (operationId: string, summary: string, description: string) =>
    appLevel({ ...detail(operationId, summary, description), security: appSecurity, [MEDIA_TYPE]: { 200: NDJSON } })
  return new Elysia()
    .delete(
      '/v1/rooms/:room_id',
      async ({ request, params, set }) => {
        await lifecycle.deleteRoom(actorOf(deps, request), params.room_id)
        set.status = 204
      },
      {
        params: RoomParams,
        response: { 204: t.Void({ description: 'Deleted: the room is gone for everyone.' }), ...tenantErrorsWith(403, 404) },
        detail: {
          ...detail(
            'deleteRoom',
            'Delete a room (its owner; not a dm)',
            'The owner of a group or channel deletes it. It is gone at once for everyone (404), its members get a `room.deleted` frame and the tenant webhook `room.deleted` fires; its messages and members are removed in the background. A dm cannot be deleted (403); a member who is not the owner gets 403, a non-member of a group 404.',
          ),
          security: tenantSecurity,
        },
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
        response: { 202: { ...JobAccepted, description: 'Started: follow the job.' }, ...tenantErrorsWith(403) },
        detail: appLevel({
          ...detail(
            'eraseUser',
            'Erase a user (API key only)',
            'Starts a job that removes the user: their memberships (with their acks and read markers; a group or channel they own passes to its earliest-joined admin, else its earliest-joined member), every message they sent in any room of the tenant (deleted as a delete is: content and meta gone, the seq stays; `message.deleted` frames and webhooks), their subscriptions and pending notifications. Webhook `user.erased` when done. A user token gets 403.',
          ),
          security: appSecurity,
        }),
      },
    )
    .get('/v1/users/:user_id/export', async ({ request, params }) => stream(await exports.user(callerOf(deps, request), params.user_id)), {
      params: UserParams,
      response: { 200: { ...UserExportLine, description: 'application/x-ndjson: one of these per line, each line ending with \\n; streamed (constant memory at any size).' }, ...tenantErrorsWith(403) },
      detail: exportDetail(
        'exportUser',
        "Export a user's data (API key only; NDJSON)",
        'Streams everything held about the user, one `{"type": T, "<T>": object}` per line: `membership` lines (their rooms, with role and cursors), then `message` lines (every message they sent, in any room of the tenant, rooms they left included), `reaction`, `upload` (metadata; the files are at GET /v1/uploads/{upload_id}) and `subscription` lines, then `block` lines (the users they block). A user token gets 403.',
      ),
    })
    .get('/v1/rooms/:room_id/export', async ({ request, params }) => stream(await exports.room(callerOf(deps, request), params.room_id)), {
      params: RoomParams,
      response: { 200: { ...RoomExportLine, description: 'application/x-ndjson: one of these per line, each line ending with \\n; streamed (constant memory at any size).' }, ...tenantErrorsWith(403, 404) },
      detail: exportDetail(
        'exportRoom',
        'Export a room (API key only; NDJSON)',
        'Streams one `room` line, then a `member` line per member (join order), then every stored `message` in ascending seq, each object as the API returns it. With X-User-Id, only a room that user may read (404/403 as for GET /v1/rooms/{room_id}/messages). A user token gets 403.',
      ),
    })
    .get('/v1/jobs/:job_id', ({ request, params }) => lifecycle.job(callerOf(deps, request), params.job_id), {
      params: JobParams,
      response: { 200: Job, ...tenantErrorsWith(403, 404) },
      detail: appLevel({
        ...detail('getJob', "A job of this tenant (API key only)", "Status and progress of an erasure (or another job of this tenant; another tenant's job is 404). Jobs survive a restart of the server: they resume."),
        security: appSecurity,
      }),
    })
}
