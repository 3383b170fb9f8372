import type { AttrPath, Filter } from '../scim/filter/ast.js'

/*
 * What the store's ports (account-store.ts, connection-store.ts, audit-log.ts, user-store.ts,
 * group-store.ts) read and write: plain records, nothing of drizzle or SQL.
 */

export type Role = 'owner' | 'admin' | 'member'
export type SsoProtocol = 'saml' | 'oidc'

export interface Team {
  readonly id: string
  readonly name: string
}

export interface Account {
  readonly id: string
  readonly email: string
  readonly displayName: string | null
}

export interface Member extends Account {
  readonly role: Role
}

export interface ScimConnection {
  readonly teamId: string
  readonly endpointId: string
  readonly createdAt: Date
  readonly rotatedAt: Date | null
  readonly lastUsedAt: Date | null
  readonly disabledAt: Date | null
}

/** What bearer verification needs, in one lookup. */
export interface ConnectionCredential {
  readonly teamId: string
  readonly endpointId: string
  readonly tokenHash: string
  readonly lastUsedAt: Date | null
  readonly ssoActive: boolean
}

export interface ConnectionWithUsers {
  readonly credential: ConnectionCredential
  readonly users: ListResult<ScimUserRecord> | undefined
}

export interface AuditEventInput {
  readonly source: 'admin' | 'scim'
  readonly action: string
  readonly outcome: string
  readonly endpointId?: string | null
  readonly actorId?: string | null
  readonly resourceId?: string | null
  readonly accountId?: string | null
  readonly detail?: string | null
}

export interface AuditEvent extends AuditEventInput {
  readonly id: number
  readonly at: Date
}

/** A SCIM User as stored: `doc` holds the RFC 7643 attributes without id and meta. */
export interface ScimUserRecord {
  readonly id: string
  readonly userName: string
  readonly externalId: string | null
  /** Null: unassigned (a PATCH removed it), which is not deprovisioned; only false is. */
  readonly active: boolean | null
  readonly accountId: string
  readonly doc: Record<string, unknown>
  readonly version: number
  readonly created: Date
  readonly lastModified: Date
}

/** A SCIM Group as stored: `doc` holds displayName and externalId; members are separate rows. */
export interface ScimGroupRecord {
  readonly id: string
  readonly displayName: string
  readonly externalId: string | null
  readonly doc: Record<string, unknown>
  readonly version: number
  readonly created: Date
  readonly lastModified: Date
}

/** A group member as rendered: the User's id and userName. */
export interface GroupMemberRow {
  readonly value: string
  readonly display: string
}

export interface ListQuery {
  readonly filter?: Filter | undefined
  /** 1-based (RFC 7644 §3.4.2.4). */
  readonly startIndex: number
  readonly count: number
  /** RFC 7644 §3.4.2.3; ties are broken by id. Without it: creation order. */
  readonly sortBy?: AttrPath | undefined
  readonly descending?: boolean | undefined
  /**
   * Cursor paging (RFC 9865): the page after this id in id order (null: the first page). Keyset
   * paging on the primary key costs the same anywhere in the set; startIndex is then ignored.
   */
  readonly afterId?: string | null | undefined
}

export interface ListResult<T> {
  readonly totalResults: number
  readonly resources: readonly T[]
  /** Cursor paging: the id to continue after, when more resources follow. */
  readonly nextAfterId?: string | undefined
}
