import type { Db } from './database.js'
import { preparedLookups, type PreparedLookups } from './prepared-lookups.js'

/** The pool's handle or a transaction's: every adapter of one set of ports runs its statements on the same one. */
export type Executor = Db | Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * One database handle and what the adapters over it share: the prepared lookups (built on first use,
 * as named statements only on the pool's handle) and where recorded change events are announced.
 */
export class PgExecutor {
  private lookupStatements: PreparedLookups | undefined

  constructor(
    readonly db: Executor,
    private readonly config: {
      /** Named prepared statements: false inside a transaction and behind PgBouncer in transaction mode. */
      readonly namedStatements: boolean
      /** The most users a list filter may match (or scan, on a team this small or smaller); see user-queries.ts. */
      readonly filterMatchBudget: number
      /** Called once a statement recorded change events: at once on the pool's handle, at commit in a transaction. */
      readonly changesRecorded: () => void
    },
  ) {}

  get lookups(): PreparedLookups {
    this.lookupStatements ??= preparedLookups(this.db, this.config.namedStatements)
    return this.lookupStatements
  }

  get filterMatchBudget(): number {
    return this.config.filterMatchBudget
  }

  changesRecorded(): void {
    this.config.changesRecorded()
  }
}
