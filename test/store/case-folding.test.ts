/**
 * One case-folding rule everywhere: ASCII letters fold, nothing else does (scim/core/case-fold.ts),
 * in the store's own lookups as in filters and unique indexes, on PGlite and PostgreSQL whatever the
 * cluster's locale. And both lookups every create makes are one probe of their unique index.
 */
import { sql, type SQLWrapper } from 'drizzle-orm'
import { t } from '../helpers/file-test.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { accountByEmailQuery } from '../../src/store/pg/pg-account-store.js'
import { userByUserNameQuery } from '../../src/store/pg/pg-user-store.js'
import type { ScimUserRecord } from '../../src/store/records.js'
import { testDatabases } from '../helpers/databases.js'

const user = (id: string, accountId: string, userName: string): ScimUserRecord => ({
  id,
  userName,
  externalId: null,
  active: true,
  accountId,
  doc: { userName },
  version: 1,
  created: new Date('2026-01-01T00:00:00.000Z'),
  lastModified: new Date('2026-01-01T00:00:00.000Z'),
})

const LOWER = '11111111-1111-4111-8111-111111111111'
const UPPER = '22222222-2222-4222-8222-222222222222'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Plans?: PlanNode[]
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    t.beforeEach(() => db.reset())
    const { store } = db

    t.test('userNames: accents never fold, ASCII letters do, in the store lookup as in the filter', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      const a = await store.accounts.createAccount({ email: 'lower@x.example', displayName: null })
      const b = await store.accounts.createAccount({ email: 'upper@x.example', displayName: null })
      await store.users.insertUser('t1', user(LOWER, a.id, 'alíce'))
      // The unique index folds as foldCase does: "ALÍCE" is "alÍce", not "alíce", so both are stored.
      await store.users.insertUser('t1', user(UPPER, b.id, 'ALÍCE'))

      t.equal((await store.users.findUserByUserName('t1', 'ALÍCE'))?.id, UPPER, 'ALÍCE finds ALÍCE')
      t.equal((await store.users.findUserByUserName('t1', 'aLÍce'))?.id, UPPER, 'ASCII letters fold around the Í')
      t.equal((await store.users.findUserByUserName('t1', 'Alíce'))?.id, LOWER, 'Alíce finds alíce')
      t.equal(await store.users.findUserByUserName('t1', 'ALICE'), null, 'no accent folding')
      t.equal((await store.users.findUserByUserName('t1', 'alÍce', { lock: true }))?.id, UPPER, 'the locking form agrees')

      // The same answers as the filter the IdP would send (filter-sql.ts), so a POST reactivates or
      // 409s against the user a lookup by filter shows.
      for (const name of ['ALÍCE', 'Alíce', 'aLÍce']) {
        const listed = await store.users.listUsers('t1', { filter: parseFilter(`userName eq "${name}"`), startIndex: 1, count: 10 })
        t.same(
          listed.resources.map((u) => u.id),
          [(await store.users.findUserByUserName('t1', name))!.id],
          `userName eq "${name}" lists the user findUserByUserName finds`,
        )
      }
    })

    t.test('account emails fold the same way', async (t) => {
      const jose = await store.accounts.createAccount({ email: 'JOSÉ@x.example', displayName: null })
      const other = await store.accounts.createAccount({ email: 'josé@x.example', displayName: null })
      t.not(jose.id, other.id, 'É and é are different letters')
      t.equal((await store.accounts.findAccountByEmail('josÉ@X.EXAMPLE'))?.id, jose.id)
      t.equal((await store.accounts.findAccountByEmail('José@x.example'))?.id, other.id)
      t.equal(await store.accounts.findAccountByEmail('jose@x.example'), null, 'no accent folding')
    })

    t.test('both lookups are one probe of their unique index, not a scan', async (t) => {
      // Enough rows that a sequential scan would be the planner's choice if the index did not fit the expression.
      await db.rows(sql`insert into teams (id, name) values ('t1', 'T1')`)
      await db.rows(sql`insert into accounts (email) select 'person' || n || '@Example.com' from generate_series(1, 5000) n`)
      await db.rows(sql`insert into scim_users (team_id, id, user_name, active, account_id, doc)
        select 't1', gen_random_uuid(), email, true, id, jsonb_build_object('userName', email) from accounts`)
      await db.rows(sql`analyze accounts`)
      await db.rows(sql`analyze scim_users`)
      const planOf = async (query: SQLWrapper) => {
        const [row] = await db.rows<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(sql`explain (format json) ${query}`)
        const explained = row!['QUERY PLAN']
        return nodes((typeof explained === 'string' ? (JSON.parse(explained) as [{ Plan: PlanNode }]) : explained)[0].Plan)
      }
      const drizzle = db.database.db
      for (const [what, query, index] of [
        ['findAccountByEmail', accountByEmailQuery(drizzle, 'PERSON4321@example.COM'), 'accounts_email_key'],
        ['findUserByUserName', userByUserNameQuery(drizzle, 't1', 'PERSON4321@example.COM'), 'scim_users_user_name_key'],
      ] as const) {
        const plan = await planOf(query)
        const summary = plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ')
        t.notOk(
          plan.some((n) => n['Node Type'] === 'Seq Scan'),
          `${what}: no Seq Scan [${summary}]`,
        )
        t.ok(
          plan.some((n) => n['Index Name'] === index),
          `${what}: served by ${index} [${summary}]`,
        )
        t.equal((await query).length, 1, `${what} finds the row`)
      }
    })
  })
}
