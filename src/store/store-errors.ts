/* The store's errors: what any adapter throws in place of a driver's error (store/pg/errors.ts translates). */

/** A unique rule that a write would break, named by the rule rather than by a constraint. */
export type ConflictRule =
  'accountEmail' | 'oneTeamPerAccount' | 'oneOwnerPerTeam' | 'oneEnabledConnection' | 'userName' | 'groupDisplayName'

export class StoreConflict extends Error {
  constructor(
    readonly rule: ConflictRule,
    options?: { cause?: unknown },
  ) {
    super(`unique rule broken: ${rule}`, options)
    this.name = 'StoreConflict'
  }
}

/** A statement ran past the statement timeout (STATEMENT_TIMEOUT_MS) and was cancelled. */
export class StoreTimeout extends Error {
  constructor(options?: { cause?: unknown }) {
    super('statement timeout', options)
    this.name = 'StoreTimeout'
  }
}

/** FILTER_MATCH_BUDGET's default: a full scan of this many users, or a count of as many index entries, stays well under a second. */
export const DEFAULT_FILTER_MATCH_BUDGET = 50_000

/**
 * A list filter refused before it runs: on a large team no index narrows it, or it matches more
 * rows than the budget. `detail` names the part of the filter and how to narrow it.
 */
export class StoreFilterTooBroad extends Error {
  constructor(readonly detail: string) {
    super(detail)
    this.name = 'StoreFilterTooBroad'
  }
}

/** The database could not be reached or did not answer in time: a 503, never a 404. */
export class StoreUnavailable extends Error {
  constructor(options?: { cause?: unknown }) {
    super('database unavailable', options)
    this.name = 'StoreUnavailable'
  }
}
