import type { AccountStore } from './account-store.js'
import type { AuditLog } from './audit-log.js'
import type { ConnectionStore, CredentialLookup, ServiceSettings } from './connection-store.js'
import type { GroupStore } from './group-store.js'
import type { UserStore } from './user-store.js'

/*
 * The ports the domain (provisioning, admin, auth) uses, one per aggregate. Nothing here knows
 * drizzle or SQL; the one implementation is store/pg. Every call on team data takes teamId first.
 * The exceptions are named for what they are: lookups by a global key (an account's email, a
 * token's hash) that exist to enforce Compound's rules before a team is known.
 */

export interface Ports {
  readonly accounts: AccountStore
  readonly connections: ConnectionStore
  readonly credentials: CredentialLookup
  readonly settings: ServiceSettings
  readonly audit: AuditLog
  readonly users: UserStore
  readonly groups: GroupStore
}

export type PortName = keyof Ports

/**
 * Some of the ports, and a transaction over them: `work` gets the same ports scoped to one
 * transaction (they see and write only inside it). A service names the ports it uses.
 */
export type StoreScope<K extends PortName> = Pick<Ports, K> & {
  transaction<T>(work: (tx: StoreScope<K>) => Promise<T>): Promise<T>
}

/** Every port: what the service is built with (buildApp's `store`). */
export type Stores = StoreScope<PortName>
