/**
 * Audit-log retention (AUDIT_RETENTION_DAYS): the store's prune deletes events older than the cutoff
 * and nothing newer, in batches that loop until a team's old events are gone, one process at a time;
 * retention 0 keeps everything; and both of its statements read audit_events along its primary key
 * (there is no index on `at`), on PostgreSQL and on PGlite.
 */
import { sql, type SQLWrapper } from 'drizzle-orm'
import pg from 'pg'
import { t } from '../helpers/file-test.js'
import { AUDIT_PRUNE_BATCH_SIZE, pruneAuditLog } from '../../src/audit-retention.js'
import { AUDIT_LOG } from '../../src/store/pg/pg-audit-log.js'
import { pruneBatchQuery, teamsToPruneQuery } from '../../src/store/pg/team-log-prune.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'

const NOW = new Date('2026-06-01T00:00:00.000Z')
const DAY = 86_400_000

/** `count` events for a team, `daysAgo` days before NOW plus one second per event (ids in time order, as the service writes them). */
async function seed(db: TestDatabase, teamId: string, daysAgo: number, count: number): Promise<void> {
  await db.rows(sql`insert into teams (id, name) values (${teamId}, ${teamId}) on conflict do nothing`)
  await db.rows(sql`
    insert into audit_events (team_id, at, source, action, outcome)
    select ${teamId}, ${new Date(NOW.getTime() - daysAgo * DAY).toISOString()}::timestamptz + n * interval '1 second', 'scim', 'user.create', 'created'
    from generate_series(1, ${count}) n`)
}

async function ages(db: TestDatabase): Promise<Record<string, number>> {
  const rows = await db.rows<{ team_id: string; n: number }>(
    `select team_id, count(*)::int as n from audit_events group by team_id order by team_id`,
  )
  return Object.fromEntries(rows.map((r) => [r.team_id, r.n]))
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Plans?: PlanNode[]
}

const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'])

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    t.beforeEach(() => db.reset())
    const store = db.store.audit

    t.test('events older than the cutoff go, newer ones stay, on every team', async (t) => {
      await seed(db, 'a', 200, 7)
      await seed(db, 'a', 10, 3)
      await seed(db, 'b', 91, 4)
      await seed(db, 'c', 89, 5)
      await seed(db, 'd', 30, 2)
      const deleted = await pruneAuditLog(store, 90, NOW)
      t.equal(deleted, 11, '7 of team a, 4 of team b')
      t.same(await ages(db), { a: 3, c: 5, d: 2 })
      const [oldest] = await db.rows<{ at: Date | string }>(`select min(at) as at from audit_events`)
      t.ok(new Date(oldest!.at).getTime() >= NOW.getTime() - 90 * DAY, 'nothing older than 90 days is left')
      t.equal(await pruneAuditLog(store, 90, NOW), 0, 'a second run finds nothing')
    })

    t.test('batches loop until a team has no old events left', async (t) => {
      await seed(db, 'big', 100, 23)
      await seed(db, 'big', 1, 4)
      await seed(db, 'small', 100, 2)
      t.equal(await store.pruneAuditEvents(new Date(NOW.getTime() - 90 * DAY), 5), 25, '23 in five batches of at most 5, then 2')
      t.same(await ages(db), { big: 4 })
      t.equal(AUDIT_PRUNE_BATCH_SIZE, 5_000, 'the service deletes 5,000 rows a statement')
    })

    t.test('retention 0 keeps every event', async (t) => {
      await seed(db, 'a', 3650, 3)
      t.equal(await pruneAuditLog(store, 0, NOW), 0)
      t.same(await ages(db), { a: 3 })
    })

    t.test('a prune stops between statements once its signal is aborted (shutdown)', async (t) => {
      await seed(db, 'a', 100, 3)
      const stopping = new AbortController()
      stopping.abort()
      t.equal(await store.pruneAuditEvents(new Date(NOW.getTime() - 90 * DAY), 5, stopping.signal), 0)
      t.same(await ages(db), { a: 3 })
    })

    if (db.url) {
      t.test('one process prunes at a time: while another holds the lock, a prune stops at once', async (t) => {
        await seed(db, 'a', 100, 3)
        const other = new pg.Client({ connectionString: db.url })
        await other.connect()
        t.teardown(() => other.end())
        await other.query('begin')
        // The key pruneBatchQuery takes for the audit log, as another replica's pruning statement holds it.
        await other.query(`select pg_advisory_xact_lock(8314605255814968686)`)
        t.equal(await pruneAuditLog(store, 90, NOW), 0, 'nothing deleted while the lock is held elsewhere')
        t.same(await ages(db), { a: 3 })
        await other.query('commit')
        t.equal(await pruneAuditLog(store, 90, NOW), 3, 'the next run does it')
      })
    }

    t.test('both statements read audit_events along its primary key, never the whole table', async (t) => {
      // 200 teams of 300 events over 300 days: a table where a pass over every row would show.
      await db.rows(`insert into teams (id, name) select 'team-' || n, 'T' from generate_series(1, 200) n`)
      await db.rows(sql`
        insert into audit_events (team_id, at, source, action, outcome)
        select 'team-' || (1 + n % 200), ${NOW.toISOString()}::timestamptz - interval '300 days' + n * interval '432 seconds', 'scim', 'user.create', 'created'
        from generate_series(1, 60000) n`)
      await db.rows('analyze')
      const cutoff = new Date(NOW.getTime() - 90 * DAY)
      const planOf = async (query: SQLWrapper) => {
        const [row] = await db.rows<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(sql`explain (format json) ${query}`)
        const explained = row!['QUERY PLAN']
        return nodes((typeof explained === 'string' ? (JSON.parse(explained) as [{ Plan: PlanNode }]) : explained)[0].Plan)
      }
      for (const [name, query] of [
        ['teams to prune', teamsToPruneQuery(AUDIT_LOG, cutoff, '')],
        ['one batch', pruneBatchQuery(AUDIT_LOG, 'team-7', cutoff, AUDIT_PRUNE_BATCH_SIZE)],
      ] as const) {
        const plan = await planOf(query)
        const summary = plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ')
        t.notOk(
          plan.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'audit_events'),
          `${name}: no Seq Scan on audit_events [${summary}]`,
        )
        t.ok(
          plan.some((n) => INDEX_SCANS.has(n['Node Type']) && n['Index Name'] === 'audit_events_pkey'),
          `${name}: audit_events read by its key [${summary}]`,
        )
      }
      // The plans are only worth something if the statements do the work.
      t.equal(await pruneAuditLog(store, 90, NOW), 41_999, 'the events of the 210 oldest days of 300 (n < 42,000) go')
      t.equal((await ages(db))['team-7'], 90)
    })
  })
}
