import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { parseFilter } from '../../src/scim/filter/parser.js'
import type { ScimUserRecord } from '../../src/store/records.js'
import type { Stores } from '../../src/store/stores.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'

/**
 * The per-team counters behind unfiltered and `active eq` totals (migrations 0002, 0008) must always equal
 * count(*): random operation sequences, and on PostgreSQL the same operations run concurrently.
 */
/** `active` is true, false or unassigned (null: a PATCH removed it, migration 0008). */
type Active = boolean | null
type Op =
  { kind: 'create'; slot: number; active: Active } | { kind: 'delete'; slot: number } | { kind: 'activate'; slot: number; active: Active }

const activeValue: fc.Arbitrary<Active> = fc.constantFrom(true, false, null)

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), slot: fc.nat(7), active: activeValue }),
  fc.record({ kind: fc.constant('delete' as const), slot: fc.nat(7) }),
  fc.record({ kind: fc.constant('activate' as const), slot: fc.nat(7), active: activeValue }),
)

const user = (id: string, accountId: string, active: Active): ScimUserRecord => ({
  id,
  userName: `u-${id}`,
  externalId: null,
  active,
  accountId,
  doc: { userName: `u-${id}`, ...(active === null ? {} : { active }) },
  version: 1,
  created: new Date(),
  lastModified: new Date(),
})

async function apply(store: Stores, teamId: string, accountId: string, slots: Map<number, ScimUserRecord>, o: Op): Promise<void> {
  const current = slots.get(o.slot)
  if (o.kind === 'create' && !current) {
    const created = user(randomUUID(), accountId, o.active)
    await store.users.insertUser(teamId, created)
    slots.set(o.slot, created)
  } else if (o.kind === 'delete' && current) {
    await store.users.deleteUser(teamId, current.id)
    slots.delete(o.slot)
  } else if (o.kind === 'activate' && current) {
    const fresh = (await store.users.getUser(teamId, current.id))!
    const next = { ...fresh, active: o.active, version: fresh.version + 1 }
    if (await store.users.updateUser(teamId, next, fresh.version)) slots.set(o.slot, next)
  }
}

async function check(t: Pick<Test, 'same'>, db: TestDatabase, teamId: string) {
  const [counted] = await db.rows<{ total: number; active: number; inactive: number }>(
    `select count(*)::int as total, (count(*) filter (where active))::int as active, (count(*) filter (where not active))::int as inactive
     from scim_users where team_id = '${teamId}'`,
  )
  const [kept] = await db.rows<{ total: string | number; active: string | number; inactive: string | number }>(
    `select total, active, inactive from scim_user_counts where team_id = '${teamId}'`,
  )
  t.same(
    { total: Number(kept?.total ?? 0), active: Number(kept?.active ?? 0), inactive: Number(kept?.inactive ?? 0) },
    counted,
    'counters equal count(*)',
  )
  const list = async (filter?: string) =>
    (await db.store.users.listUsers(teamId, { filter: filter ? parseFilter(filter) : undefined, startIndex: 1, count: 1 })).totalResults
  t.same(
    [await list(), await list('active eq true'), await list('ACTIVE eq false')],
    [counted!.total, counted!.active, counted!.inactive],
    'list totals',
  )
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    await db.reset()
    await db.store.accounts.upsertTeam('counts', 'Counts')
    const account = await db.store.accounts.createAccount({ email: 'c@x.io', displayName: null })

    t.test('random operation sequences', async (t) => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          await db.rows(`delete from scim_users where team_id = 'counts'`)
          const slots = new Map<number, ScimUserRecord>()
          for (const o of ops) await apply(db.store, 'counts', account.id, slots, o)
          const [counted] = await db.rows<{ total: number; active: number; inactive: number }>(
            `select count(*)::int as total, (count(*) filter (where active))::int as active, (count(*) filter (where not active))::int as inactive
             from scim_users where team_id = 'counts'`,
          )
          const [kept] = await db.rows<{ total: string | number; active: string | number; inactive: string | number }>(
            `select total, active, inactive from scim_user_counts where team_id = 'counts'`,
          )
          return (
            Number(kept?.total ?? 0) === counted!.total &&
            Number(kept?.active ?? 0) === counted!.active &&
            Number(kept?.inactive ?? 0) === counted!.inactive
          )
        }),
        { seed: 20261125, numRuns: 60 },
      )
      await check(t, db, 'counts')
    })

    t.test('operations in one transaction that rolls back leave the counters alone', async (t) => {
      await t.rejects(
        db.store.transaction(async (tx) => {
          await tx.users.insertUser('counts', user(randomUUID(), account.id, true))
          throw new Error('rollback')
        }),
      )
      await check(t, db, 'counts')
    })

    if (db.name === 'postgres') {
      t.test('concurrent writers on PostgreSQL', async (t) => {
        await db.rows(`delete from scim_users where team_id = 'counts'`)
        const workers = Array.from(
          { length: 8 },
          (_, w) => fc.sample(fc.array(op, { minLength: 20, maxLength: 20 }), { seed: 1000 + w, numRuns: 1 })[0]!,
        )
        await Promise.all(
          workers.map(async (ops) => {
            const slots = new Map<number, ScimUserRecord>()
            for (const o of ops) await db.store.transaction((tx) => apply(tx, 'counts', account.id, slots, o))
          }),
        )
        await check(t, db, 'counts')
      })
    }
  })
}
