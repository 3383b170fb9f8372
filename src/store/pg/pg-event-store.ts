import { sql, type SQL } from 'drizzle-orm'
import { translatingErrors } from './errors.js'
import type { Executor } from './executor.js'
import { auditEvents, changeEvents, teams, webhookEndpoints } from './schema.js'
import { pruneTeamLog, type TeamLog } from './team-log-prune.js'
import type { ChangeEvent, ChangeEventInput, ChangeKind } from '../../events/change-event.js'
import type { ChangePage, ClaimedEndpoint, EventStore, WebhookChannel, WebhookEndpointState } from '../event-store.js'
import type { AuditEventInput } from '../records.js'

/** The change events as pruning sees them; the lock key (ASCII "scimevpr") is fixed for good. */
const CHANGE_LOG: TeamLog = {
  table: changeEvents,
  teamId: changeEvents.teamId,
  id: changeEvents.id,
  at: changeEvents.at,
  lockKey: '8314605255630680178',
}

/*
 * The feed's order and its visibility rule.
 *
 * Order: an event's id comes from a sequence, taken by the last statement of the writing transaction,
 * after every row lock it needed; two writes that conflict are therefore numbered in the order they
 * were applied (the second one's ids are taken after the first one committed).
 *
 * Visibility: ids are taken before commit, so a transaction still running may hold a lower id than
 * one already committed; a follower that moved past the committed one would miss it for good. The
 * feed hands out ids up to a bound below which nothing can still commit, found in two steps:
 *  1. read the sequence's last value L, then take a transaction id X (pg_current_xact_id(), in the same
 *     statement, after the read). Every transaction that took an id up to L had its own transaction id
 *     before that id (recordChangesQuery takes it first), so before X;
 *  2. once pg_snapshot_xmin (the oldest transaction still running) is past X, every one of them has
 *     committed or rolled back: ids up to L are final, and rows of those that committed are visible.
 * This needs the sequence's CACHE 1 (migration 0010): with a cache, a session could take an id up to L
 * from its cache after the reading, under a later transaction id. A rollback leaves a hole nobody waits for. A transaction running for long (anywhere on the server)
 * holds the bound back, never past an event; the bound a process last confirmed is kept for the time
 * being. The sample's own transaction writes nothing and commits asynchronously (no flush).
 */

/**
 * The audit entry and the change events of one write, in one statement (one round trip on the
 * request path): the events as one JSON array, inserted in its order.
 */
export function recordChangesQuery(teamId: string, audit: AuditEventInput, changes: readonly ChangeEventInput[]): SQL {
  const rows = JSON.stringify(
    changes.map((c) => ({
      kind: c.kind,
      account_id: c.accountId ?? null,
      resource_type: c.resource?.type ?? null,
      resource_id: c.resource?.id ?? null,
      changes: c.changes,
    })),
  )
  return sql`
    with audit as (
      insert into ${auditEvents} (team_id, source, action, outcome, endpoint_id, actor_id, resource_id, account_id, detail)
      values (${teamId}, ${audit.source}, ${audit.action}, ${audit.outcome}, ${audit.endpointId ?? null}, ${audit.actorId ?? null},
        ${audit.resourceId ?? null}, ${audit.accountId ?? null}::uuid, ${audit.detail ?? null})
    )
    , xid as materialized (select pg_current_xact_id() as xid)
    insert into ${changeEvents} (team_id, kind, account_id, resource_type, resource_id, changes)
    select ${teamId}, e.v ->> 'kind', (e.v ->> 'account_id')::uuid, e.v ->> 'resource_type', e.v ->> 'resource_id', e.v -> 'changes'
    -- The transaction id before any event id (the visibility rule above): the join needs xid's row first.
    from xid, jsonb_array_elements(${rows}::jsonb) with ordinality as e(v, n)
    where xid.xid is not null
    order by e.n`
}

/** The sample columns of a statement with the bound's CTEs (strings: bigint and xid8 as text). */
interface SampleRow {
  sample_last: string
  sample_xid: string
  sample_xmin: string
  bound: string
}

interface EventRow {
  team_id: string
  id: string | number
  at: Date | string
  kind: string
  account_id: string | null
  resource_type: string | null
  resource_id: string | null
  changes: Record<string, unknown>
}

interface EndpointRow {
  team_id: string
  channel: WebhookChannel
  url: string | null
  secret?: string | null
  cursor_id: string | number
  attempts: number
  lease_owner: string
}

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows
}

function toEvent(row: EventRow): ChangeEvent {
  return {
    teamId: row.team_id,
    id: Number(row.id),
    at: new Date(row.at),
    kind: row.kind as ChangeKind,
    accountId: row.account_id,
    resource: row.resource_type && row.resource_id ? { type: row.resource_type as 'User' | 'Group', id: row.resource_id } : null,
    changes: row.changes,
  }
}

function toClaimed(row: EndpointRow): ClaimedEndpoint {
  return {
    teamId: row.team_id,
    channel: row.channel,
    url: row.url,
    secret: row.secret ?? null,
    position: Number(row.cursor_id),
    attempts: row.attempts,
    lease: row.lease_owner,
  }
}

/** Which channels have somewhere to deliver: the service channel only with WEBHOOK_URL, the team one with its URL. */
function deliverable(channels: readonly WebhookChannel[]): SQL {
  const service = channels.includes('service')
  const team = channels.includes('team')
  return sql`((${webhookEndpoints.channel} = 'team' and ${webhookEndpoints.url} is not null and ${team})
    or (${webhookEndpoints.channel} = 'service' and ${service}))`
}

/** The sample's columns a statement with the bound's CTEs returns on every row. */
const SAMPLE_COLUMNS = sql`sample.last::text as sample_last, sample.xid::text as sample_xid,
  sample.xmin::text as sample_xmin, bound.id::text as bound`

/**
 * This process's side of the visibility rule: the bound it confirmed and the samples still to
 * confirm. A plain class apart from the store, so that the store's error translation does not wrap it.
 */
class VisibilityBound {
  /** The highest bound this process confirmed (see the rule above); it only grows. */
  private confirmed = 0
  /**
   * Samples not confirmed yet, oldest first: a later call confirms them once the oldest running
   * transaction has passed theirs, so under a steady stream of writes each read hands out what the
   * reads before it sampled, instead of waiting for a moment without any transaction in flight.
   */
  private pending: { last: number; xid: bigint }[] = []

  /**
   * The bound as two CTEs for a statement that reads events or endpoints (one round trip, not three):
   * `sample` takes a new sample (the sequence's last value, then a transaction id: the projection
   * runs after the scan) and the oldest transaction running when the statement started; `bound` is
   * the highest id confirmed by that xmin among the confirmed bound and the pending samples passed in.
   * The statement's events are read in the same snapshot, so every transaction below xmin is visible.
   */
  ctes(): SQL {
    const lasts = `{${this.pending.map((p) => p.last).join(',')}}`
    const xids = `{${this.pending.map((p) => p.xid.toString()).join(',')}}`
    return sql`sample as materialized (
        select set_config('synchronous_commit', 'off', true) as async, s.last, pg_current_xact_id() as xid,
          pg_snapshot_xmin(pg_current_snapshot()) as xmin
        from (select case when is_called then last_value else 0 end as last from change_events_id_seq) as s
      ), bound as materialized (
        select greatest(${this.confirmed}::bigint, coalesce(max(p.last), 0)) as id
        from sample left join unnest(${lasts}::bigint[], ${xids}::xid8[]) as p(last, xid) on p.xid < sample.xmin
      )`
  }

  /** Every pending sample whose transaction id the oldest running transaction has passed is final. */
  confirm(xmin: bigint): void {
    this.pending = this.pending.filter((p) => {
      if (p.xid >= xmin) return true
      this.confirmed = Math.max(this.confirmed, p.last)
      return false
    })
  }

  /** Confirms what the statement's xmin confirms and keeps its sample for a later statement to confirm. */
  observe(row: SampleRow): void {
    this.confirm(BigInt(row.sample_xmin))
    // Concurrent statements come back in any order: the samples stay in transaction id order. At most
    // 64: past that, the newest takes the place of the one before it. The oldest are kept, since they
    // are the next to be confirmed: dropping them instead, reads more frequent than overlapping long
    // transactions end would throw every sample away before it could be confirmed, and the bound
    // would never move (test/store/change-feed.test.ts, "overlapping").
    const sample = { last: Number(row.sample_last), xid: BigInt(row.sample_xid) }
    const at = this.pending.findIndex((p) => p.xid > sample.xid)
    this.pending.splice(at === -1 ? this.pending.length : at, 0, sample)
    if (this.pending.length > 64) this.pending.splice(this.pending.length - 2, 1)
  }
}

/** The PostgreSQL/PGlite EventStore's statements; PgEventStore below is it with driver errors translated. */
class PgEventRows implements EventStore {
  private readonly bound = new VisibilityBound()

  constructor(private readonly db: Executor) {}

  async listChanges(scope: { teamId?: string | undefined }, after: number, limit: number): Promise<ChangePage> {
    const team = scope.teamId === undefined ? sql`` : sql`and e.team_id = ${scope.teamId}`
    const rows = rowsOf<SampleRow & Partial<EventRow>>(
      await this.db.execute(sql`
        with ${this.bound.ctes()}
        select ${SAMPLE_COLUMNS}, e.*
        from sample cross join bound
        left join lateral (
          select e.team_id, e.id, e.at, e.kind, e.account_id, e.resource_type, e.resource_id, e.changes
          from ${changeEvents} e
          where e.id > ${after} and e.id <= bound.id ${team}
          order by e.id
          limit ${limit}
        ) e on true
        order by e.id`),
    )
    const sample = rows[0]!
    this.bound.observe(sample)
    const events = rows.filter((row) => row.id !== null && row.id !== undefined).map((row) => toEvent(row as EventRow))
    let bound = Math.max(after, Number(sample.bound))
    // Ids past the bound that this statement's sample saw (a commit just before it, on a quiet
    // server): a second statement confirms the sample if every transaction running at it has ended
    // since, and reads that stretch. Without it a lone commit would wait for the next read.
    if (events.length < limit && Number(sample.sample_last) > bound) {
      const more = rowsOf<{ xmin: string } & Partial<EventRow>>(
        await this.db.execute(sql`
          with x as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
          select x.xmin::text as xmin, e.* from x
          left join lateral (
            select e.team_id, e.id, e.at, e.kind, e.account_id, e.resource_type, e.resource_id, e.changes
            from ${changeEvents} e
            where x.xmin > ${sample.sample_xid}::xid8 and e.id > ${bound} and e.id <= ${sample.sample_last}::bigint ${team}
            order by e.id
            limit ${limit - events.length}
          ) e on true
          order by e.id`),
      )
      const xmin = BigInt(more[0]!.xmin)
      this.bound.confirm(xmin)
      if (xmin > BigInt(sample.sample_xid)) {
        events.push(...more.filter((row) => row.id !== null && row.id !== undefined).map((row) => toEvent(row as EventRow)))
        bound = Number(sample.sample_last)
      }
    }
    // A full page ends at its last event; a shorter one holds every event up to the bound, which nothing can still fill.
    return { events, through: events.length === limit ? events.at(-1)!.id : bound }
  }

  pruneChanges(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number> {
    return pruneTeamLog(this.db, CHANGE_LOG, olderThan, batchSize, signal)
  }

  async setTeamWebhook(
    teamId: string,
    url: string,
    secret: { newSecret: string; rotateSecret: boolean },
  ): Promise<{ secretIssued: boolean }> {
    // A new endpoint starts at the feed's beginning: the receiver gets the team's retained history.
    // The secret is replaced only when asked (or when there is none): a URL change keeps the receiver's.
    const [row] = rowsOf<{ issued: boolean }>(
      await this.db.execute(sql`
        insert into ${webhookEndpoints} (team_id, channel, url, secret) values (${teamId}, 'team', ${url}, ${secret.newSecret})
        on conflict (team_id, channel) do update set url = excluded.url, attempts = 0, next_attempt_at = now(),
          secret = case when ${secret.rotateSecret} or ${webhookEndpoints.secret} is null then excluded.secret else ${webhookEndpoints.secret} end
        returning secret = ${secret.newSecret} as issued`),
    )
    return { secretIssued: row!.issued }
  }

  async removeTeamWebhook(teamId: string): Promise<boolean> {
    const result = await this.db.execute(sql`
      delete from ${webhookEndpoints} where team_id = ${teamId} and channel = 'team' returning 1 as ok`)
    return rowsOf(result).length > 0
  }

  async webhookStates(teamId: string): Promise<WebhookEndpointState[]> {
    const result = await this.db.execute(sql`
      with ${this.bound.ctes()}
      select ${SAMPLE_COLUMNS}, w.team_id, w.channel, w.url, w.cursor_id, w.attempts, w.next_attempt_at,
        w.delivered, w.last_delivered_at, w.last_failure_at, w.last_error, p.pending, p.oldest
      from sample cross join bound
      join ${webhookEndpoints} w on w.team_id = ${teamId}
      cross join lateral (
        select count(*)::int as pending, min(e.at) as oldest from (
          select e.at from ${changeEvents} e
          where e.team_id = w.team_id and e.id > w.cursor_id and e.id <= bound.id
          limit 100000
        ) e
      ) p
      order by w.channel`)
    const rows = rowsOf<
      SampleRow &
        EndpointRow & {
          next_attempt_at: Date | string
          delivered: string | number
          last_delivered_at: Date | string | null
          last_failure_at: Date | string | null
          last_error: string | null
          pending: number
          oldest: Date | string | null
        }
    >(result)
    if (rows[0]) this.bound.observe(rows[0])
    return rows.map((row) => ({
      ...toClaimed(row),
      nextAttemptAt: new Date(row.next_attempt_at),
      delivered: Number(row.delivered),
      lastDeliveredAt: row.last_delivered_at === null ? null : new Date(row.last_delivered_at),
      lastFailureAt: row.last_failure_at === null ? null : new Date(row.last_failure_at),
      lastError: row.last_error,
      pending: Number(row.pending),
      oldestPendingAt: row.oldest === null ? null : new Date(row.oldest),
    }))
  }

  async ensureServiceEndpoints(createdSince?: Date): Promise<void> {
    const recent = createdSince ? sql`t.created_at >= ${createdSince.toISOString()}::timestamptz and` : sql``
    await this.db.execute(sql`
      insert into ${webhookEndpoints} (team_id, channel)
      select t.id, 'service' from ${teams} t
      where ${recent} not exists (select 1 from ${webhookEndpoints} w where w.team_id = t.id and w.channel = 'service')
      on conflict do nothing`)
  }

  async claimWebhookEndpoints(
    owner: string,
    leaseMs: number,
    limit: number,
    channels: readonly WebhookChannel[],
  ): Promise<ClaimedEndpoint[]> {
    const rows = rowsOf<SampleRow & Partial<EndpointRow>>(
      await this.db.execute(sql`
        with ${this.bound.ctes()}, due as (
          select ${webhookEndpoints.teamId} as team_id, ${webhookEndpoints.channel} as channel from ${webhookEndpoints}
          where ${webhookEndpoints.nextAttemptAt} <= now()
            and (${webhookEndpoints.leasedUntil} is null or ${webhookEndpoints.leasedUntil} < now())
            and ${deliverable(channels)}
            and exists (
              select 1 from ${changeEvents} e
              where e.team_id = ${webhookEndpoints.teamId}
                and e.id > ${webhookEndpoints.cursorId} and e.id <= (select id from bound)
            )
          order by ${webhookEndpoints.nextAttemptAt}
          limit ${limit}
          for update skip locked
        ), claimed as (
          update ${webhookEndpoints} w set leased_until = now() + ${leaseMs} * interval '1 millisecond',
            lease_owner = ${owner} || ':' || gen_random_uuid()::text
          from due where w.team_id = due.team_id and w.channel = due.channel
          returning w.team_id, w.channel, w.url, w.secret, w.cursor_id, w.attempts, w.lease_owner
        )
        select ${SAMPLE_COLUMNS}, claimed.* from sample cross join bound left join claimed on true`),
    )
    this.bound.observe(rows[0]!)
    return rows.filter((row) => row.team_id !== null && row.team_id !== undefined).map((row) => toClaimed(row as EndpointRow))
  }

  async recordDelivery(endpoint: ClaimedEndpoint, position: number, count: number, leaseMs: number): Promise<boolean> {
    const result = await this.db.execute(sql`
      update ${webhookEndpoints} set cursor_id = ${position}, attempts = 0,
        delivered = delivered + ${count}, last_delivered_at = now(), next_attempt_at = now(),
        leased_until = now() + ${leaseMs} * interval '1 millisecond'
      where team_id = ${endpoint.teamId} and channel = ${endpoint.channel} and lease_owner = ${endpoint.lease}
        and cursor_id < ${position}
      returning 1 as ok`)
    return rowsOf<{ ok: number }>(result).length > 0
  }

  async recordFailure(endpoint: ClaimedEndpoint, retryAt: Date, error: string): Promise<void> {
    await this.db.execute(sql`
      update ${webhookEndpoints} set attempts = attempts + 1, next_attempt_at = ${retryAt.toISOString()}::timestamptz,
        last_failure_at = now(), last_error = ${error.slice(0, 500)}, leased_until = null, lease_owner = null
      where team_id = ${endpoint.teamId} and channel = ${endpoint.channel} and lease_owner = ${endpoint.lease}`)
  }

  async releaseWebhookEndpoint(endpoint: ClaimedEndpoint): Promise<void> {
    await this.db.execute(sql`
      update ${webhookEndpoints} set leased_until = null, lease_owner = null
      where team_id = ${endpoint.teamId} and channel = ${endpoint.channel} and lease_owner = ${endpoint.lease}`)
  }

  async oldestUndeliveredAgeSeconds(channels: readonly WebhookChannel[]): Promise<number> {
    // Every committed event past the cursor, not only those below the feed's bound: a bound held
    // back (a transaction left open anywhere on the server) shows as a growing age, not as zero.
    const [row] = rowsOf<{ age: number | string | null }>(
      await this.db.execute(sql`
        select extract(epoch from now() - min(p.at))::float8 as age from ${webhookEndpoints}
        cross join lateral (
          select e.at from ${changeEvents} e
          where e.team_id = ${webhookEndpoints.teamId}
            and e.id > ${webhookEndpoints.cursorId}
          order by e.id limit 1
        ) p
        where ${deliverable(channels)}`),
    )
    return Math.max(0, Number(row?.age ?? 0))
  }
}

/** The PostgreSQL/PGlite EventStore, each method's driver errors translated (errors.ts translatingErrors). */
export const PgEventStore = translatingErrors(PgEventRows)
export type PgEventStore = PgEventRows
