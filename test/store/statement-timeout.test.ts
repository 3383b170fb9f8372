import { t } from '../helpers/file-test.js'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

/**
 * Nothing runs for seconds: PostgreSQL cancels a list statement past the statement timeout and the
 * client gets 400 tooMany with advice, never a 5xx or a partial result. PostgreSQL only: PGlite has
 * no statement timeout.
 */
const postgres = (await testDatabases(t)).find((db) => db.name === 'postgres')

// Skipped, not left undefined, without PostgreSQL: a file that defines no test waits out tap's timeout.
t.test('postgres', { skip: !postgres && 'PostgreSQL only' }, async (t) => {
  const db = postgres!
  const slow = await openDatabase({ url: db.url, statementTimeoutMs: 30 })
  t.teardown(() => slow.close())
  // No budget: this test is about the timeout behind it, for what the budget does not foresee.
  const app = await testApp({ database: slow, store: new PgStores(slow.db, { filterMatchBudget: 10_000_000 }) })
  t.teardown(() => app.close())
  await db.reset()
  const team = await scimTeam(app, 'slow')
  // A filter on a function of pg_sleep is not something a client can send; a slow plan is. Make one:
  // 200,000 users and a two-character co on a jsonb path that no index serves.
  // With every index to maintain, this seeding takes longer than the pool's own statement timeout. It
  // runs in short transactions: one left running for the whole seeding (over 10 s) would hold back every
  // change feed on the server, which waits for older transactions, and test files beside this one follow feeds.
  const BATCH = 10_000
  for (let first = 1; first <= 200_000; first += BATCH) {
    await db.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local statement_timeout = 0`)
      const numbers = sql`generate_series(${first}::int, ${first + BATCH - 1}::int) as n`
      // Account n's id is md5('slow-a-' || n) read as a uuid, so the users can name it without reading it back.
      await tx.execute(sql`insert into accounts (id, email) select md5('slow-a-' || n)::uuid, 'slow' || n || '@x.io' from ${numbers}`)
      await tx.execute(sql`
      insert into scim_users (team_id, id, user_name, active, account_id, doc)
      select 'slow', gen_random_uuid(), 'slow' || n, true, md5('slow-a-' || n)::uuid, jsonb_build_object('displayName', 'Person ' || n)
      from ${numbers}`)
    })
  }
  const res = await scim(
    app,
    team,
    'GET',
    `/Users?filter=${encodeURIComponent('displayName co "zq" or title co "zq" or nickName co "zq"')}&count=100`,
  )
  t.equal(res.statusCode, 400, res.body)
  t.equal(res.json().scimType, 'tooMany')
  t.match(res.json().detail, /narrow it/)
  const quick = await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('userName eq "slow77"')}`)
  t.equal(quick.statusCode, 200, 'an indexed lookup on the same team is unaffected')
  t.equal(quick.json().totalResults, 1)
})
