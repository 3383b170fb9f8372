import { sql } from 'drizzle-orm'
import { t } from '../helpers/file-test.js'
import { lookupStatement } from '../../src/store/pg/prepared-lookups.js'
import { testDatabases } from '../helpers/databases.js'

/**
 * The eq lookups are prepared statements: PostgreSQL plans them once for any team and any
 * value (a generic plan). With accounts spread over many teams, as in a shared Compound database, that
 * plan must still reach a large team's user through the attribute's own index, never through the
 * team's every row (the emails lookup once took 0.9 s on a team of a million users once the
 * bench seeded other teams too). Checked with EXPLAIN under plan_cache_mode = force_generic_plan, on
 * both databases (PGlite plans each statement anew, but the plan it would keep must be as good).
 */
const TEAMS = 300
const PER_TEAM = 20
const BIG = 20_000

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  'Actual Rows'?: number
  Plans?: PlanNode[]
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    await db.reset()
    // Every user: an account, userName u{n}@{team}.example (also its email), externalId ext-{n}.
    const users = (team: string, series: string) => `
      insert into accounts (id, email) select md5(${team} || '/' || n)::uuid, 'u' || n || '@' || ${team} || '.example' from ${series};
      insert into scim_users (team_id, id, user_name, external_id, active, account_id, doc)
      select ${team}, md5('user/' || ${team} || '/' || n)::uuid, 'u' || n || '@' || ${team} || '.example', 'ext-' || n, true,
        md5(${team} || '/' || n)::uuid,
        jsonb_build_object('emails', jsonb_build_array(jsonb_build_object('value', 'u' || n || '@' || ${team} || '.example')))
      from ${series};`
    await db.rows(`insert into teams (id, name) select 'many' || t, 'Team' from generate_series(1, ${TEAMS}) as t`)
    await db.rows(`insert into teams (id, name) values ('big', 'Big')`)
    for (const statement of [
      ...users(`('many' || t)`, `generate_series(1, ${TEAMS}) as t, generate_series(1, ${PER_TEAM}) as n`).split(';'),
      ...users(`'big'`, `generate_series(1, ${BIG}) as n`).split(';'),
    ]) {
      if (statement.trim()) await db.rows(statement)
    }
    await db.rows('analyze')

    for (const which of ['userNameLookup', 'externalIdLookup', 'emailLookup'] as const) {
      const value = which === 'externalIdLookup' ? 'ext-12345' : 'u12345@big.example'
      const statement = lookupStatement(db.database.db, which, sql.placeholder('teamId')).toSQL()
      // The statement as preparedLookups prepares it, with its placeholders in drizzle's order.
      const params = statement.params.map((p) => {
        const name = (p as { name?: string }).name
        return name === 'teamId' ? 'big' : name === 'value' ? value : name === 'limit' ? 2 : p
      })
      const plan = await db.database.db.transaction(async (tx) => {
        await tx.execute(sql`set local plan_cache_mode = force_generic_plan`)
        await tx.execute(sql.raw(`prepare lookup_${which} as ${statement.sql}`))
        const literal = (p: unknown) => (typeof p === 'number' ? String(p) : `'${String(p)}'`)
        const result = (await tx.execute(
          sql.raw(`explain (analyze, format json) execute lookup_${which}(${params.map(literal).join(', ')})`),
        )) as {
          rows: { 'QUERY PLAN': [{ Plan: PlanNode }] | string }[]
        }
        await tx.execute(sql.raw(`deallocate lookup_${which}`))
        const explained = result.rows[0]!['QUERY PLAN']
        return nodes((typeof explained === 'string' ? (JSON.parse(explained) as [{ Plan: PlanNode }]) : explained)[0].Plan)
      })
      const indexScans = plan.filter((n) => /Index/.test(n['Node Type']))
      const read = Math.max(...plan.map((n) => n['Actual Rows'] ?? 0))
      t.ok(indexScans.length > 0, `${which}: an index scan`)
      t.ok(
        read <= 10,
        `${which}: reads a handful of rows, not the team's ${BIG} (most rows out of one node: ${read}; ${JSON.stringify(indexScans.map((n) => n['Index Name']))})`,
      )
      t.equal(plan.filter((n) => n['Node Type'] === 'Seq Scan').length, 0, `${which}: no sequential scan`)
    }
  })
}
