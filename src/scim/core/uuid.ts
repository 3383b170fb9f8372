/**
 * The text form of a UUID (RFC 9562 §4): resource ids, account ids and cursor positions are UUIDs.
 * PostgreSQL writes them in lower case; a client may send either case.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A UUID in either case. */
export function isUuid(text: string): boolean {
  return UUID.test(text)
}

/** A UUID as PostgreSQL writes it (lower case): the only text a stored uuid's text form can equal. */
export function isCanonicalUuid(text: string): boolean {
  return UUID.test(text) && !/[A-F]/.test(text)
}
