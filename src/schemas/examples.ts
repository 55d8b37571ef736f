// Example values for the OpenAPI document (every request and response body shows one). Redocly checks
// each against its schema (redocly.yaml: no-invalid-media-type-examples, no-invalid-schema-examples).

export const EX = {
  roomId: 'room_4fJ8kQ2mN7pR1sT5vX9zB3',
  channelId: 'room_8hK2mP5qS9tV3wY6zA1cD4',
  messageId: 'msg_7gH3jK9mN2pQ5rS8tV1wX4',
  tenantId: 'tnt_2bC5dF8gH1jK4mN7pQ0rS3',
  subscriptionId: 'sub_5kL8mN1pQ4rS7tV0wX3yZ6',
  deadLetterId: 'dl_9aB2cD5eF8gH1jK4mN7pQ0',
  notificationId: 'ntf_3cD6fG9hJ2kM5nP8qR1sT4',
  uploadId: 'upl_6dE9gH2jK5mN8pQ1rS4tV7',
  at: '2026-11-26T21:10:54.123Z',
  later: '2026-11-26T21:12:03.456Z',
}

export const exampleRoom = {
  room_id: EX.roomId,
  type: 'group',
  name: 'Design team',
  metadata: { project: 'apollo' },
  unique_key: null,
  last_seq: 42,
  last_rev: 7,
  first_seq: 1,
  member_count: 3,
  read_only: false,
  created_at: EX.at,
}

export const exampleMessage = {
  message_id: EX.messageId,
  room_id: EX.roomId,
  seq: 42,
  rev: 0,
  sender_id: 'alice',
  content: 'The new mockups are up.',
  meta: null,
  client_msg_id: 'c-1f2e3d',
  parent_id: null,
  reply_count: 0,
  last_reply_at: null,
  mentions: [],
  attachments: [{ upload_id: EX.uploadId, filename: 'mockup.png', content_type: 'image/png', bytes: 48213, width: 1280, height: 800 }],
  reactions: [],
  pinned_at: null,
  pinned_by: null,
  created_at: EX.later,
  edited_at: null,
  deleted_at: null,
}

export const exampleUpload = {
  upload_id: EX.uploadId,
  filename: 'mockup.png',
  content_type: 'image/png',
  bytes: 48213,
  sha256: '9f2c4a1b7e3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8',
  width: 1280,
  height: 800,
  created_at: EX.at,
}

export const exampleMember = { user_id: 'bob', role: 'member', joined_at: EX.at, last_ack: 41, last_read: 40, online: true }

export const exampleTenantConfig = { rate_limit_per_sec: 50, webhook_url: 'https://app.example.org/chat-events', webhook_events: ['message.created'], features: { typing: true, presence: true, read_receipts: false } }

export const exampleTenant = { tenant_id: EX.tenantId, name: 'Acme', config: exampleTenantConfig, created_at: EX.at }
