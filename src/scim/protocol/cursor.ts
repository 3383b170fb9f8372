import { createHmac, timingSafeEqual } from 'node:crypto'
import { ScimError } from './scim-error.js'
import { isCanonicalUuid } from '../core/uuid.js'

/** The server's secret for cursors: CURSOR_SECRET, or the key kept in the database (auth/cursor-key.ts). */
export type CursorKey = Buffer | string

/** What this service issues is about 110 characters; anything much longer was not issued here. */
const MAX_CURSOR_LENGTH = 256
const SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/

/**
 * RFC 9865 cursors: opaque to clients, here the id to continue after and an HMAC-SHA256 over it and
 * the query it belongs to, under the server's key. A cursor replayed with another filter, altered,
 * or made up is refused (invalidCursor) instead of paging a different result or reaching SQL.
 * Keyset cursors never expire; changing the key invalidates them all.
 */
export function encodeCursor(afterId: string, query: string, key: CursorKey): string {
  const payload = Buffer.from(JSON.stringify({ a: afterId })).toString('base64url')
  return `${payload}.${signature(payload, query, key)}`
}

/** The id to continue after; throws 400 invalidCursor for a cursor this server did not issue for this query. */
export function decodeCursor(cursor: string, query: string, key: CursorKey): string {
  const shape = cursor.length <= MAX_CURSOR_LENGTH ? SHAPE.exec(cursor) : null
  // Compared as text, so the one signature verifies (base64url's spare bits cannot vary it).
  const verified = shape !== null && timingSafeEqual(Buffer.from(shape[2]!), Buffer.from(signature(shape[1]!, query, key)))
  const afterId = verified ? idOf(shape[1]!) : undefined
  if (afterId === undefined) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this list issued for this filter; start again with cursor= (empty)')
  }
  return afterId
}

/** The newline cannot occur in base64url, so payload and query cannot be shifted into each other. */
function signature(payload: string, query: string, key: CursorKey): string {
  return createHmac('sha256', key).update(`scim-cursor-v1\n${payload}\n${query}`).digest('base64url')
}

/** A signed payload is one this server wrote; the id is still checked, as anything reaching SQL is. */
function idOf(payload: string): string | undefined {
  try {
    const { a } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { a?: unknown }
    return typeof a === 'string' && isCanonicalUuid(a) ? a : undefined
  } catch {
    return undefined
  }
}
