// Wire types, derived from the service's own TypeBox schemas (src/schemas) and route modules.
// Every import here is type-only: nothing from the server ends up in a bundle of this package.

import type { Static } from '@sinclair/typebox'
import type * as RoomS from '../../src/schemas/room'
import type * as MessageS from '../../src/schemas/message'
import type * as NotificationS from '../../src/schemas/notification'
import type * as CommonS from '../../src/schemas/common'
import type * as SearchS from '../../src/schemas/search'
import type * as ChangeS from '../../src/schemas/change'
import type * as MentionS from '../../src/schemas/mention'
import type * as ReactionS from '../../src/schemas/reaction'
import type * as UploadS from '../../src/schemas/upload'
import type * as ModerationS from '../../src/schemas/moderation'
import type { ClientFrame, ClientFrameType } from '../../src/schemas/frames'
import type { ServerFrame, ServerFrameType } from '../../src/schemas/server-frames'
import type { ErrorCode as ServerErrorCode } from '../../src/errors'
import type { presenceRoutes } from '../../src/http/routes/presence'
import type { tokensRoutes } from '../../src/http/routes/tokens'

/** The error codes of SPEC §3 (`error.code` in REST envelopes and `error` frames). */
export type ErrorCode = ServerErrorCode
export type ErrorBody = Static<typeof CommonS.ErrorBody>

// Rooms and members
export type RoomType = Static<typeof RoomS.RoomType>
export type Role = Static<typeof RoomS.Role>
export type Room = Static<typeof RoomS.Room>
export type RoomListItem = Static<typeof RoomS.RoomListItem>
export type RoomList = Static<typeof RoomS.RoomList>
export type ChannelList = Static<typeof RoomS.ChannelList>
export type CreateRoomBody = Static<typeof RoomS.CreateRoomBody>
export type PatchRoomBody = Static<typeof RoomS.PatchRoomBody>
export type Member = Static<typeof RoomS.Member>
export type MemberList = Static<typeof RoomS.MemberList>
export type AddMembersBody = Static<typeof RoomS.AddMembersBody>
export type AddedMembers = Static<typeof RoomS.AddedMembers>

// Messages and cursors
export type Message = Static<typeof MessageS.Message>
export type SendMessageBody = Static<typeof MessageS.SendMessageBody>
export type PatchMessageBody = Static<typeof MessageS.PatchMessageBody>
export type MessageAck = Static<typeof MessageS.MessageAck>
export type MessagePage = Static<typeof MessageS.MessagePage>
export type AckBody = Static<typeof MessageS.AckBody>
export type AckResult = Static<typeof MessageS.AckResult>
export type ReadBody = Static<typeof MessageS.ReadBody>
export type ReadResult = Static<typeof MessageS.ReadResult>

export type PinnedList = Static<typeof MessageS.PinnedList>
export type ReactionSummary = Static<typeof MessageS.ReactionSummary>

// Rich messages (SPEC §11): the change feed, reactions, mentions
/** What changed a message: on `message.updated` / `message.deleted` frames. */
export type MessageChange = Static<typeof ChangeS.MessageChange>
export type ChangeKind = MessageChange['kind']
export type ChangesPage = Static<typeof ChangeS.ChangesPage>
export type Reactor = Static<typeof ReactionS.Reactor>
export type ReactorList = Static<typeof ReactionS.ReactorList>
export type Mention = Static<typeof MentionS.Mention>
export type MentionList = Static<typeof MentionS.MentionList>

// Uploads (SPEC §12)
export type Attachment = Static<typeof MessageS.Attachment>
export type Upload = Static<typeof UploadS.Upload>
export type SignedUrl = Static<typeof UploadS.SignedUrl>

/** Query strings are strings on the wire; the SDK also takes numbers (and booleans for flags). */
type Loose<T> = { [K in keyof T]?: string | number | boolean }
export type PageQuery = Loose<Static<typeof CommonS.PageQuery>>
export type HistoryQuery = Loose<Static<typeof MessageS.HistoryQuery>>
export type RepliesQuery = Loose<Static<typeof MessageS.RepliesQuery>>
export type ChangesQuery = Loose<Static<typeof ChangeS.ChangesQuery>>
export type ReactorQuery = Loose<Static<typeof ReactionS.ReactorQuery>>

// Search
export type SearchQuery = { q: string } & Loose<Omit<Static<typeof SearchS.SearchQuery>, 'q'>>
export type SearchResult = Static<typeof SearchS.SearchResult>
export type SearchResults = Static<typeof SearchS.SearchResults>

// Notifications
export type NotifyBody = Static<typeof NotificationS.NotifyBody>
export type NotifyResult = Static<typeof NotificationS.NotifyResult>
export type SubscribeBody = Static<typeof NotificationS.SubscribeBody>
export type Subscription = Static<typeof NotificationS.Subscription>
export type SubscriptionList = Static<typeof NotificationS.SubscriptionList>

// Moderation (SPEC §14)
export type BanBody = Static<typeof ModerationS.BanBody>
export type MuteBody = Static<typeof ModerationS.MuteBody>
export type RoomBan = Static<typeof ModerationS.RoomBan>
export type RoomBanList = Static<typeof ModerationS.RoomBanList>
export type RoomMute = Static<typeof ModerationS.RoomMute>
export type RoomMuteList = Static<typeof ModerationS.RoomMuteList>
export type UserBan = Static<typeof ModerationS.TenantBan>
export type UserBanList = Static<typeof ModerationS.TenantBanList>
export type Block = Static<typeof ModerationS.Block>
export type BlockList = Static<typeof ModerationS.BlockList>
export type CreateReportBody = Static<typeof ModerationS.CreateReportBody>
export type Report = Static<typeof ModerationS.Report>
export type ReportList = Static<typeof ModerationS.ReportList>
export type ResolveReportBody = Static<typeof ModerationS.ResolveReportBody>
export type ResolveAction = Static<typeof ModerationS.ResolveAction>
export type AuditEntry = Static<typeof ModerationS.AuditEntry>
export type AuditList = Static<typeof ModerationS.AuditList>
export type ReportQuery = PageQuery & { status?: 'open' | 'resolved' }

// Presence and tokens: their schemas live in the route modules; read them off the routes' types.
type PresenceRoute = ReturnType<typeof presenceRoutes>['~Routes']['v1']['presence']['get']
type TokensRoute = ReturnType<typeof tokensRoutes>['~Routes']['v1']['tokens']['post']
export type PresenceList = PresenceRoute['response'][200]
export type PresenceStatus = PresenceList['presence'][number]['status']
export type CreateTokenBody = TokensRoute['body']
export type TokenResult = TokensRoute['response'][201]

// WebSocket frames (SPEC §5), from the server's schemas: client frames from its validators, server
// frames from the schemas its WS suites check every received frame against.
export type { ClientFrame, ClientFrameType }
export type { ServerFrame, ServerFrameType }

export type ConnectedFrame = ServerFrame<'connected'>
export type MessageFrame = ServerFrame<'message'>
export type MessageUpdatedFrame = ServerFrame<'message.updated'>
export type MessageDeletedFrame = ServerFrame<'message.deleted'>
export type MessageSentFrame = ServerFrame<'message.sent'>
export type AckReceivedFrame = ServerFrame<'ack.received'>
export type ReadUpdatedFrame = ServerFrame<'read.updated'>
export type TypingFrame = ServerFrame<'typing'>
export type PresenceFrame = ServerFrame<'presence.update'>
export type MemberFrame = ServerFrame<'member.joined' | 'member.left'>
export type NotificationFrame = ServerFrame<'notification'>
export type SyncTruncatedFrame = ServerFrame<'sync.truncated'>
/** `room_id` is absent on the sync that follows connecting, set on the end of an explicit `sync`. */
export type SyncDoneFrame = ServerFrame<'sync.done'>
export type ErrorFrame = ServerFrame<'error'>
export type ShutdownFrame = ServerFrame<'server.shutdown'>
export type PongFrame = ServerFrame<'pong'>
