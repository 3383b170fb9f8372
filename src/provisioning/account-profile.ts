/**
 * What Compound takes from a SCIM User for its account (README, "Compound's rules"): the email that identifies
 * the account and a display name.
 */

const EMAIL = /^[^\s@]+@[^\s@]+$/

interface EmailValue {
  value?: unknown
  type?: unknown
  primary?: unknown
}

/** The primary email, else a work email, else the userName when it is an email, else the first email. */
export function accountEmail(doc: Record<string, unknown>): string | null {
  const emails = (Array.isArray(doc.emails) ? doc.emails : []) as EmailValue[]
  const valid = emails.filter((e): e is EmailValue & { value: string } => typeof e.value === 'string' && EMAIL.test(e.value.trim()))
  const pick =
    valid.find((e) => e.primary === true) ??
    valid.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work') ??
    (typeof doc.userName === 'string' && EMAIL.test(doc.userName.trim()) ? { value: doc.userName } : undefined) ??
    valid[0]
  return pick ? pick.value.trim() : null
}

/** displayName, else name.formatted, else given and family names. */
export function accountDisplayName(doc: Record<string, unknown>): string | null {
  if (typeof doc.displayName === 'string' && doc.displayName.trim() !== '') return doc.displayName.trim()
  const name = (doc.name ?? {}) as Record<string, unknown>
  if (typeof name.formatted === 'string' && name.formatted.trim() !== '') return name.formatted.trim()
  const parts = [name.givenName, name.familyName].filter((p): p is string => typeof p === 'string' && p.trim() !== '')
  return parts.length > 0 ? parts.join(' ') : null
}
