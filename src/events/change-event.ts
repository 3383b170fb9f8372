/**
 * What the Compound app hears about: one change event per provisioning change, written
 * in the transaction that makes the change. No fastify, drizzle or pg here.
 */

export const CHANGE_KINDS = [
  'member.added',
  'member.removed',
  'member.reactivated',
  'member.profile_changed',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_changed',
  'scim.enabled',
  'scim.rotated',
  'scim.disabled',
  'scim.suspended',
  'scim.resumed',
] as const

export type ChangeKind = (typeof CHANGE_KINDS)[number]

/** What a provisioning write records; the store adds the team, the position and the time. */
export interface ChangeEventInput {
  readonly kind: ChangeKind
  readonly accountId?: string | null
  readonly resource?: { readonly type: 'User' | 'Group'; readonly id: string } | null
  /** The fields that changed, by name; never a token or a token's hash. */
  readonly changes: Readonly<Record<string, unknown>>
}

/**
 * A position in the feed is an event's id: events are handed out in id order, and only up to an id
 * below which no transaction can still commit (store/pg/pg-event-store.ts), so a position once passed
 * is never written again. 0 is the beginning.
 */
export const FEED_START = 0

export interface ChangeEvent {
  readonly teamId: string
  readonly id: number
  readonly at: Date
  readonly kind: ChangeKind
  readonly accountId: string | null
  readonly resource: { readonly type: 'User' | 'Group'; readonly id: string } | null
  readonly changes: Readonly<Record<string, unknown>>
}

const CURSOR = /^v1\.([0-9]{1,16})$/

/** The opaque cursor a follower resumes from: the position of the last event it received. */
export function encodeCursor(id: number): string {
  return Buffer.from(`v1.${id}`).toString('base64url')
}

/** Undefined for anything encodeCursor did not make. */
export function decodeCursor(cursor: string): number | undefined {
  if (cursor.length > 64) return undefined
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
  const id = match ? Number(match[1]) : NaN
  return Number.isSafeInteger(id) ? id : undefined
}

/** The event as the feed and webhooks show it (openapi.yaml ChangeEvent). */
export function renderChangeEvent(event: ChangeEvent): Record<string, unknown> {
  return {
    id: `evt_${event.id}`,
    cursor: encodeCursor(event.id),
    kind: event.kind,
    teamId: event.teamId,
    occurredAt: event.at.toISOString(),
    accountId: event.accountId,
    resource: event.resource,
    changes: event.changes,
  }
}
