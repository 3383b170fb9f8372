import pg from 'pg'
import { t } from '../helpers/file-test.js'
import { sql } from 'drizzle-orm'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import type { ScimUserRecord } from '../../src/store/records.js'
import { StoreConflict } from '../../src/store/store-errors.js'
import { testDatabases } from '../helpers/databases.js'

const record = (id: string, accountId: string, userName: string): ScimUserRecord => ({
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

const ID1 = '11111111-1111-4111-8111-111111111111'
const ID2 = '22222222-2222-4222-8222-222222222222'

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    t.beforeEach(() => db.reset())
    const { store } = db

    t.test('unique rules surface as named StoreConflicts, by constraint name', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      await store.accounts.upsertTeam('t2', 'T2')
      const a = await store.accounts.createAccount({ email: 'Ada@x.io', displayName: null })
      await t.rejects(store.accounts.createAccount({ email: 'ada@X.IO', displayName: null }), new StoreConflict('accountEmail'))
      await store.accounts.addMember('t1', a.id, 'member')
      await t.rejects(store.accounts.addMember('t2', a.id, 'member'), new StoreConflict('oneTeamPerAccount'))
      const b = await store.accounts.createAccount({ email: 'b@x.io', displayName: null })
      await store.accounts.addMember('t1', b.id, 'owner')
      const c = await store.accounts.createAccount({ email: 'c@x.io', displayName: null })
      await t.rejects(store.accounts.addMember('t1', c.id, 'owner'), new StoreConflict('oneOwnerPerTeam'))
      await store.users.insertUser('t1', record(ID1, a.id, 'Ada'))
      await t.rejects(store.users.insertUser('t1', record(ID2, b.id, 'ADA')), new StoreConflict('userName'))
      await t.resolves(store.users.insertUser('t1', record(ID2, a.id, 'other')), 'two users may stand for one account')
      await store.connections.insertConnection('t1', 'e1', 'h1')
      await t.rejects(store.connections.insertConnection('t1', 'e2', 'h2'), new StoreConflict('oneEnabledConnection'))
    })

    t.test('a failed transaction leaves nothing behind', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      await t.rejects(
        store.transaction(async (tx) => {
          await tx.accounts.createAccount({ email: 'x@x.io', displayName: null })
          throw new Error('boom')
        }),
        { message: 'boom' },
      )
      t.equal(await store.accounts.findAccountByEmail('x@x.io'), null)
    })

    t.test('every user lookup is scoped by team', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      await store.accounts.upsertTeam('t2', 'T2')
      const a = await store.accounts.createAccount({ email: 'a@x.io', displayName: null })
      await store.users.insertUser('t1', record(ID1, a.id, 'ada'))
      t.ok(await store.users.getUser('t1', ID1))
      t.equal(await store.users.getUser('t2', ID1), null)
      t.equal(await store.users.findUserByUserName('t2', 'ada'), null)
      t.equal(await store.users.deleteUser('t2', ID1), false)
      t.equal(await store.users.updateUser('t2', { ...record(ID1, a.id, 'x'), version: 2 }, 1), false)
      t.equal((await store.users.listUsers('t2', { startIndex: 1, count: 10 })).totalResults, 0)
      t.equal((await store.users.getUser('t1', ID1))?.userName, 'ada', 'untouched')
    })

    t.test('updateUser is a compare-and-set on the version', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      const a = await store.accounts.createAccount({ email: 'a@x.io', displayName: null })
      await store.users.insertUser('t1', record(ID1, a.id, 'ada'))
      t.equal(await store.users.updateUser('t1', { ...record(ID1, a.id, 'ada2'), version: 2 }, 1), true)
      t.equal(await store.users.updateUser('t1', { ...record(ID1, a.id, 'ada3'), version: 2 }, 1), false, 'stale version')
      t.equal((await store.users.getUser('t1', ID1))?.userName, 'ada2')
    })

    t.test('named and unnamed statements answer the prepared lookups alike (DATABASE_PREPARED_STATEMENTS)', async (t) => {
      await store.accounts.upsertTeam('t1', 'T1')
      await store.accounts.setSso('t1', 'saml')
      await store.connections.insertConnection('t1', 'e1', 'hash-1')
      const a = await store.accounts.createAccount({ email: 'a@x.io', displayName: null })
      await store.users.insertUser('t1', {
        ...record(ID1, a.id, 'Ada'),
        externalId: 'ext-1',
        doc: { userName: 'Ada', emails: [{ value: 'Ada@X.io' }] },
      })
      const unnamed = new PgStores(db.database.db, { preparedStatements: false })
      for (const candidate of [store, unnamed]) {
        t.same((await candidate.credentials.findConnectionByTokenHash('hash-1'))?.credential, {
          teamId: 't1',
          endpointId: 'e1',
          tokenHash: 'hash-1',
          lastUsedAt: null,
          ssoActive: true,
        })
        t.equal(await candidate.credentials.findConnectionByTokenHash('hash-2'), null)
        for (const [filter, total] of [
          ['userName eq "ADA"', 1],
          ['externalId eq "ext-1"', 1],
          ['externalId eq "EXT-1"', 0],
          ['emails.value eq "ada@x.io"', 1],
          ['emails[value eq "nobody@x.io"]', 0],
        ] as const) {
          t.equal(
            (await candidate.users.listUsers('t1', { filter: parseFilter(filter), startIndex: 1, count: 10 })).totalResults,
            total,
            filter,
          )
        }
      }
      const inTransaction = await store.transaction((tx) => tx.credentials.findConnectionByTokenHash('hash-1'))
      t.equal(inTransaction?.credential.endpointId, 'e1', 'inside a transaction too (unnamed)')
    })

    t.test('the token and an eq lookup in one statement: the same users listUsers finds, only of the token’s team', async (t) => {
      const ID3 = '33333333-3333-4333-8333-333333333333'
      await store.accounts.upsertTeam('t1', 'T1')
      await store.accounts.upsertTeam('t2', 'T2')
      await store.accounts.setSso('t1', 'saml')
      await store.connections.insertConnection('t1', 'e1', 'hash-1')
      await store.connections.insertConnection('t2', 'e2', 'hash-2')
      const a = await store.accounts.createAccount({ email: 'a@x.io', displayName: null })
      await store.users.insertUser('t1', {
        ...record(ID1, a.id, 'Ada'),
        externalId: 'shared',
        doc: { userName: 'Ada', emails: [{ value: 'Ada@X.io' }] },
      })
      await store.users.insertUser('t1', {
        ...record(ID2, a.id, 'Bob'),
        externalId: 'shared',
        created: new Date('2026-01-02T00:00:00.000Z'),
      })
      // The same values in another team: never part of t1's answer, nor t1's part of t2's.
      await store.users.insertUser('t2', {
        ...record(ID3, a.id, 'Ada'),
        externalId: 'shared',
        doc: { userName: 'Ada', emails: [{ value: 'ada@x.io' }] },
      })
      const credential = { teamId: 't1', endpointId: 'e1', tokenHash: 'hash-1', lastUsedAt: null, ssoActive: true }
      const query = (filter: string, count = 10) => ({ filter: parseFilter(filter), startIndex: 1, count })
      const unnamed = new PgStores(db.database.db, { preparedStatements: false })
      for (const candidate of [store, unnamed]) {
        for (const filter of [
          'userName eq "ADA"',
          'externalId eq "shared"',
          'emails.value eq "ada@x.io"',
          'emails[value eq "ADA@x.io"]',
          'userName eq "nobody"',
        ]) {
          const found = await candidate.credentials.findConnectionByTokenHash('hash-1', query(filter))
          t.same(found?.credential, credential, filter)
          // Decoded as drizzle decodes the same rows (Dates, jsonb), in listUsers' order.
          t.strictSame(found?.users, await candidate.users.listUsers('t1', query(filter)), `${filter}: as listUsers`)
        }
        const ada = (await candidate.credentials.findConnectionByTokenHash('hash-1', query('userName eq "ada"')))?.users?.resources[0]
        t.ok(
          ada?.created instanceof Date && ada.lastModified instanceof Date && typeof ada.doc === 'object',
          'timestamps and the document decoded',
        )
        const other = await candidate.credentials.findConnectionByTokenHash('hash-2', query('userName eq "ada"'))
        t.same(
          other?.credential,
          { teamId: 't2', endpointId: 'e2', tokenHash: 'hash-2', lastUsedAt: null, ssoActive: false },
          'the credential says SSO is off',
        )
        t.same(
          other?.users?.resources.map((u) => u.id),
          [ID3],
          'only the token’s own team',
        )
        t.equal(
          await candidate.credentials.findConnectionByTokenHash('hash-unknown', query('userName eq "ada"')),
          null,
          'an unknown token finds nothing',
        )
        const more = await candidate.credentials.findConnectionByTokenHash('hash-1', query('externalId eq "shared"', 1))
        t.same([more?.credential, more?.users], [credential, undefined], 'more matches than the page: left to listUsers, which counts them')
        const notHot = await candidate.credentials.findConnectionByTokenHash('hash-1', query('displayName eq "x"'))
        t.same([notHot?.credential, notHot?.users], [credential, undefined], 'a filter that is not an eq lookup: the token only')
        const paged = await candidate.credentials.findConnectionByTokenHash('hash-1', { ...query('userName eq "ada"'), startIndex: 2 })
        t.equal(paged?.users, undefined, 'not the first page: the token only')
      }
      await store.connections.disableConnection('t1', 'e1')
      t.equal(
        await store.credentials.findConnectionByTokenHash('hash-1', query('userName eq "ada"')),
        null,
        'a disabled connection finds nothing',
      )
      const inTransaction = await store.transaction((tx) => tx.credentials.findConnectionByTokenHash('hash-2', query('userName eq "ada"')))
      t.same(
        inTransaction?.users?.resources.map((u) => u.id),
        [ID3],
        'inside a transaction too (unnamed)',
      )
    })

    if (db.url) {
      const url = db.url
      t.test('a locked membership cannot move to another team until the transaction ends (PostgreSQL)', async (t) => {
        // Provisioning reads the membership with the lock before it writes to the account: a concurrent
        // deprovisioning (and another team's join) waits, so a write never lands on another team's member.
        await store.accounts.upsertTeam('t1', 'T1')
        const account = await store.accounts.createAccount({ email: 'locked@x.io', displayName: null })
        await store.accounts.addMember('t1', account.id, 'member')
        const other = new pg.Client({ connectionString: url })
        await other.connect()
        t.teardown(() => other.end())
        await other.query(`set lock_timeout = '100ms'`)
        await store.transaction(async (tx) => {
          t.same(await tx.accounts.findMembershipOfAccount(account.id, { lock: true }), { teamId: 't1', role: 'member' })
          await t.rejects(
            other.query('delete from team_memberships where account_id = $1', [account.id]),
            /lock timeout/,
            'the delete waits',
          )
        })
        const deleted = await other.query('delete from team_memberships where account_id = $1', [account.id])
        t.equal(deleted.rowCount, 1, 'and goes through once the transaction is over')
      })
    }

    t.test('readiness needs the migrations', async (t) => {
      await t.resolves(db.database.ping())
      const empty = await openDatabase({})
      t.teardown(() => empty.close())
      await t.rejects(empty.ping(), 'an unmigrated database is not ready')
      await empty.migrate()
      await t.resolves(empty.ping())
      // A schema one migration behind this build (a replica started with MIGRATE_ON_START=false before
      // the migrate job ran) is not ready either, though every table it knows exists.
      await empty.db.execute(
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
      )
      await t.rejects(empty.ping(), /not migrated: 0008_active_unassigned|not migrated: \d{4}_/, 'names the missing migration')
    })
  })
}
