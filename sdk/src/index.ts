// @chatapi/client: a typed REST client and a realtime client for ChatAPI, for browsers and Bun.

export { ChatClient } from './client'
export type { ChangedMessage, ChatClientOptions, ChatEvents, SendOptions, ConnectedInfo, ConnectionState, WebSocketCtor, WebSocketLike } from './client'
export { RestClient } from './rest'
export type { RequestOptions, RestObserver } from './rest'
export { ChatApiError, ChatClientError, isChatApiError, isChatClientError } from './errors'
export type { ClientErrorCode } from './errors'
export { backoffDelay, shutdownDelay, DEFAULT_BACKOFF } from './backoff'
export type { BackoffOptions } from './backoff'
export type { ClientOptions, Source } from './options'
export { isInlineImage, signedUrlCache } from './uploads'
export type { UploadBody, UploadOptions } from './uploads'
export type * from './types'
