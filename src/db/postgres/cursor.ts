// Paging cursors: the very same encoding as the SQLite store, so a cursor means the same on both.

export { decodeCursor, encodeCursor } from '../sqlite/cursor'
