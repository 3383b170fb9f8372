import { createHash } from 'node:crypto'
import { ScimError } from './scim-error.js'

/**
 * RFC 9865 cursors: opaque to clients, here the id to continue after plus a fingerprint of the
 * query it belongs to, so a cursor replayed with another filter is refused (invalidCursor) instead
 * of silently paging a different result. Keyset cursors never expire.
 */
export function encodeCursor(afterId: string, query: string): string {
  return Buffer.from(JSON.stringify({ a: afterId, q: fingerprint(query) })).toString('base64url')
}

/** The id to continue after; throws 400 invalidCursor for a cursor this query did not issue. */
export function decodeCursor(cursor: string, query: string): string {
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    decoded = undefined
  }
  const { a, q } = (decoded ?? {}) as { a?: unknown; q?: unknown }
  if (typeof a !== 'string' || !/^[0-9a-f-]{36}$/.test(a) || q !== fingerprint(query)) {
    throw ScimError.badRequest('invalidCursor', 'The cursor is not one this list issued for this filter; start again with cursor= (empty)')
  }
  return a
}

function fingerprint(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16)
}
