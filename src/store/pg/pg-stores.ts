import type { Db } from './database.js'
import { translateError, translatingErrors } from './errors.js'
import { PgExecutor } from './executor.js'
import { PgAccountStore } from './pg-account-store.js'
import { PgAuditLog } from './pg-audit-log.js'
import { PgConnectionStore, PgCredentialLookup, PgServiceSettings } from './pg-connection-store.js'
import { PgGroupStore } from './pg-group-store.js'
import { PgUserStore } from './pg-user-store.js'
import { DEFAULT_FILTER_MATCH_BUDGET } from '../store-errors.js'
import type { Ports, Stores } from '../stores.js'

export interface PgStoresOptions {
  /** Named prepared statements for the prepared lookups (prepared-lookups.ts); false behind PgBouncer in transaction mode. */
  readonly preparedStatements?: boolean
  /** The most users a list filter may match (or scan, on a team this small or smaller); see user-queries.ts. */
  readonly filterMatchBudget?: number
  /** Called after a transaction that recorded change events commits (wakes the feed's long polls and the deliverer). */
  readonly onChangesCommitted?: () => void
}

/** The adapters, each translating driver errors (errors.ts translatingErrors). */
const Accounts = translatingErrors(PgAccountStore)
const Connections = translatingErrors(PgConnectionStore)
const Credentials = translatingErrors(PgCredentialLookup)
const Settings = translatingErrors(PgServiceSettings)
const Audit = translatingErrors(PgAuditLog)
const Users = translatingErrors(PgUserStore)
const Groups = translatingErrors(PgGroupStore)

/** Every port over one handle. */
function portsOn(executor: PgExecutor): Ports {
  return {
    accounts: new Accounts(executor),
    connections: new Connections(executor),
    credentials: new Credentials(executor),
    settings: new Settings(executor),
    audit: new Audit(executor),
    users: new Users(executor),
    groups: new Groups(executor),
  }
}

/** The ports in PostgreSQL or PGlite: the only code that touches drizzle (with store/pg/pg-event-store.ts). */
export class PgStores implements Stores {
  readonly accounts: Ports['accounts']
  readonly connections: Ports['connections']
  readonly credentials: Ports['credentials']
  readonly settings: Ports['settings']
  readonly audit: Ports['audit']
  readonly users: Ports['users']
  readonly groups: Ports['groups']

  constructor(
    private readonly db: Db,
    private readonly options: PgStoresOptions = {},
  ) {
    ;({
      accounts: this.accounts,
      connections: this.connections,
      credentials: this.credentials,
      settings: this.settings,
      audit: this.audit,
      users: this.users,
      groups: this.groups,
    } = portsOn(
      new PgExecutor(db, {
        namedStatements: options.preparedStatements !== false,
        filterMatchBudget: this.filterMatchBudget,
        // Outside a transaction, a statement's changes are committed once it returns.
        changesRecorded: () => options.onChangesCommitted?.(),
      }),
    ))
  }

  private get filterMatchBudget(): number {
    return this.options.filterMatchBudget ?? DEFAULT_FILTER_MATCH_BUDGET
  }

  async transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T> {
    let changed = false
    let result: T
    try {
      result = await this.db.transaction((tx) =>
        work(
          transactionStores(
            // Inside a transaction the prepared lookups run unnamed (prepared-lookups.ts).
            new PgExecutor(tx, {
              namedStatements: false,
              filterMatchBudget: this.filterMatchBudget,
              changesRecorded: () => (changed = true),
            }),
          ),
        ),
      )
    } catch (error) {
      throw translateError(error)
    }
    if (changed) this.options.onChangesCommitted?.()
    return result
  }
}

/** The ports over one transaction's handle; a transaction begun inside it is the same one. */
function transactionStores(executor: PgExecutor): Stores {
  const stores: Stores = {
    ...portsOn(executor),
    // PGlite deadlocks on a second transaction, and one is all a caller needs.
    transaction: (work) => work(stores),
  }
  return stores
}
