import { sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Executor } from './executor.js'
import { teams } from './schema.js'

/** A per-team, append-only log: the audit log and the change events. */
export interface TeamLog {
  readonly table: PgTable
  readonly teamId: PgColumn
  readonly id: PgColumn
  readonly at: PgColumn
  /** The advisory lock its pruning statements hold: one pruner at a time across replicas; fixed for good. */
  readonly lockKey: string
}

const PRUNE_TEAMS_PAGE = 500

/** A page of teams, after `afterTeam` in id order, whose oldest entry in `log` is older than the cutoff. */
export function teamsToPruneQuery(log: TeamLog, olderThan: Date, afterTeam: string): SQL {
  return sql`
    select ${teams.id} as team_id from ${teams}
    cross join lateral (
      select ${log.at} as at from ${log.table}
      where ${log.teamId} = ${teams.id} order by ${log.id} limit 1
    ) as oldest
    where ${teams.id} > ${afterTeam} and oldest.at < ${olderThan.toISOString()}::timestamptz
    order by ${teams.id} limit ${PRUNE_TEAMS_PAGE}`
}

/**
 * One batch of the prune, in one statement and so one transaction: the advisory lock is held while
 * it deletes and released at its commit. A transaction-level lock, not a session one: behind
 * PgBouncer in transaction mode a session lock would stay with a server connection that other
 * clients then use. On PGlite (one process) the lock is always free. The ids reach the delete as an
 * array, which the key's index scan takes as it is whatever the planner estimates; a join leaves it
 * the choice, and a hash join over the whole table is one it makes.
 */
export function pruneBatchQuery(log: TeamLog, teamId: string, olderThan: Date, batchSize: number): SQL {
  return sql`
    with lock as materialized (select pg_try_advisory_xact_lock(${log.lockKey}::bigint) as held),
    gone as (
      delete from ${log.table}
      where (select held from lock) and ${log.teamId} = ${teamId} and ${log.id} = any(array(
        select first.id from (
          select ${log.id} as id, ${log.at} as at from ${log.table}
          where ${log.teamId} = ${teamId} order by ${log.id} limit ${batchSize}
        ) as first
        where first.at < ${olderThan.toISOString()}::timestamptz
      ))
      returning 1
    )
    select (select held from lock) as held, (select count(*) from gone)::int as deleted`
}

/**
 * Deletes the entries of `log` older than `olderThan`, team by team, `batchSize` at a time; stops
 * when another replica holds the lock (it is pruning) or on `signal`. Returns how many went.
 */
export async function pruneTeamLog(db: Executor, log: TeamLog, olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number> {
  let deleted = 0
  let afterTeam = ''
  for (;;) {
    const teamIds = ((await db.execute(teamsToPruneQuery(log, olderThan, afterTeam))) as { rows: { team_id: string }[] }).rows.map(
      (row) => row.team_id,
    )
    for (const teamId of teamIds) {
      for (;;) {
        if (signal?.aborted) return deleted
        const [row] = (
          (await db.execute(pruneBatchQuery(log, teamId, olderThan, batchSize))) as { rows: { held: boolean; deleted: number }[] }
        ).rows
        if (!row?.held) return deleted
        deleted += Number(row.deleted)
        // PGlite runs in this thread: without a macrotask turn, requests would wait for the whole prune.
        await new Promise((resolve) => setImmediate(resolve))
        if (Number(row.deleted) < batchSize) break
      }
    }
    if (teamIds.length < PRUNE_TEAMS_PAGE) return deleted
    afterTeam = teamIds.at(-1)!
  }
}
