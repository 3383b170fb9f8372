/**
 * The transactional outbox and its feed, on PGlite and PostgreSQL: change events are
 * written in the provisioning transaction (a rollback leaves none), a cursor resumes exactly after
 * the event it names, and SCIM writes record the kinds the README documents. On PostgreSQL also the
 * visibility rule: an event committed while an older transaction is still running waits for it, so
 * concurrent writers (with rollbacks among them) never make a follower skip an event, and the order
 * within a team is the order its conflicting writes were applied in.
 */
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { t } from '../helpers/file-test.js'
import { decodeCursor, encodeCursor, FEED_START, type ChangeEvent } from '../../src/events/change-event.js'
import { ChangeFeed } from '../../src/events/change-feed.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { GroupProvisioning } from '../../src/provisioning/group-provisioning.js'
import { UserProvisioning } from '../../src/provisioning/user-provisioning.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import type { Stores } from '../../src/store/stores.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { countedReads } from '../helpers/counted-reads.js'
import { eventually } from '../helpers/eventually.js'

const clock = () => new Date('2026-06-01T00:00:00.000Z')
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

async function team(db: TestDatabase, id: string): Promise<void> {
  await db.rows(sql`insert into teams (id, name) values (${id}, ${id}) on conflict do nothing`)
}

function record(store: Stores, teamId: string, n: number): Promise<void> {
  return store.audit.recordChanges(teamId, { source: 'admin', action: 'test', outcome: 'ok' }, [{ kind: 'member.added', changes: { n } }])
}

/**
 * Waits (10 s at most) until the feed hands out `count` events: on a PostgreSQL server that other
 * work shares, the feed's bound waits for every older transaction there, which takes a moment.
 */
async function caughtUp(events: PgEventStore, count: number): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    if ((await events.listChanges({}, FEED_START, count + 1)).events.length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * The id the last event was given, whether or not the feed hands it out yet: the next event's is one
 * more. (A page's `through` may be lower while a transaction elsewhere on the server holds the bound back.)
 */
async function lastEventId(db: TestDatabase): Promise<number> {
  const [row] = await db.rows<{ id: string }>(sql`select case when is_called then last_value else 0 end as id from change_events_id_seq`)
  return Number(row!.id)
}

/** Every event after `after`, page by page. */
async function follow(events: PgEventStore, after: number, limit: number, teamId?: string): Promise<ChangeEvent[]> {
  const all: ChangeEvent[] = []
  for (let cursor = after; ;) {
    const page = await events.listChanges({ teamId }, cursor, limit)
    all.push(...page.events)
    if (page.events.length < limit) return all
    t.equal(page.through, page.events.at(-1)!.id, 'a full page ends at its last event')
    cursor = page.through
  }
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    t.beforeEach(() => db.reset())
    const { store } = db
    // A store per test: reset() restarts the id sequence, which a running service never sees.
    let events = new PgEventStore(db.database.db)
    t.beforeEach(() => {
      events = new PgEventStore(db.database.db)
    })

    t.test('the events are written in the transaction of the change, and a rollback leaves none', async (t) => {
      await team(db, 'a')
      await store.transaction(async (tx) => {
        await record(tx, 'a', 1)
        // PGlite has one connection (a query outside the transaction would wait for it): only PostgreSQL looks from outside.
        if (db.name === 'postgres')
          t.same(await db.rows(sql`select 1 from change_events`), [], 'another connection does not see the event yet')
      })
      await caughtUp(events, 1)
      t.equal((await events.listChanges({}, FEED_START, 10)).events.length, 1, 'committed with the change')
      await t.rejects(
        store.transaction(async (tx) => {
          await record(tx, 'a', 2)
          throw new Error('rolled back')
        }),
        /rolled back/,
      )
      const { events: all } = await events.listChanges({}, FEED_START, 10)
      t.same(
        all.map((e) => e.changes),
        [{ n: 1 }],
        'the rolled-back event is gone',
      )
      t.same(await db.rows(sql`select action from audit_events order by id`), [{ action: 'test' }], 'and its audit entry with it')
    })

    t.test('a cursor resumes exactly after the event it names, per team and across teams', async (t) => {
      await team(db, 'a')
      await team(db, 'b')
      for (let n = 1; n <= 25; n++) await record(store, n % 3 === 0 ? 'b' : 'a', n)
      await caughtUp(events, 25)
      const all = await follow(events, FEED_START, 10)
      t.same(
        all.map((e) => e.changes.n),
        Array.from({ length: 25 }, (_, i) => i + 1),
        'pages of 10 give every event once, in order',
      )
      for (const [i, event] of all.entries()) {
        const cursor = decodeCursor(encodeCursor(event.id))!
        const rest = await follow(events, cursor, 7)
        t.same(
          rest.map((e) => e.changes.n),
          all.slice(i + 1).map((e) => e.changes.n),
          `after event ${i + 1}`,
        )
      }
      const teamB = await follow(events, FEED_START, 4, 'b')
      t.same(
        teamB.map((e) => e.changes.n),
        [3, 6, 9, 12, 15, 18, 21, 24],
        "team b's feed has its events alone",
      )
      t.same((await events.listChanges({}, all.at(-1)!.id, 10)).events, [], 'nothing after the last one')
      t.equal(decodeCursor('garbage'), undefined, 'a cursor not made by the feed is refused')
      t.equal(decodeCursor(Buffer.from('v1.99999999999999999').toString('base64url')), undefined)
    })

    t.test('SCIM writes record member, profile and group events; a rejected write records none', async (t) => {
      await team(db, 'a')
      const ctx = { teamId: 'a', endpointId: 'e' }
      const users = new UserProvisioning(store, clock)
      const groups = new GroupProvisioning(store, clock)
      const { user } = await users.create(ctx, { schemas: [USER], userName: 'ana@example.com', displayName: 'Ana' })
      await t.rejects(users.create(ctx, { schemas: [USER], userName: 'ana@example.com' }), ScimError)
      await users.replace(ctx, user.id, { schemas: [USER], userName: 'ana@example.com', displayName: 'Ana B' })
      await users.replace(ctx, user.id, { schemas: [USER], userName: 'ana@example.com', displayName: 'Ana B', active: false })
      await users.replace(ctx, user.id, { schemas: [USER], userName: 'ana@example.com', displayName: 'Ana B', active: true })
      const group = await groups.create(ctx, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng' })
      await groups.replace(ctx, group.id, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Engineering',
        members: [{ value: user.id }],
      })
      await groups.remove(ctx, group.id)
      await users.remove(ctx, user.id)
      await caughtUp(events, 9)
      const all = await follow(events, FEED_START, 100)
      t.same(
        all.map((e) => [e.kind, e.changes]),
        [
          ['member.added', { userName: 'ana@example.com', externalId: null, email: 'ana@example.com', displayName: 'Ana', active: true }],
          ['member.profile_changed', { displayName: 'Ana B' }],
          ['member.removed', { active: false, reason: 'deactivated' }],
          ['member.reactivated', { active: true }],
          ['group.created', { displayName: 'Eng', externalId: null, members: { added: 0, removed: 0, addedIds: [], removedIds: [] } }],
          ['group.updated', { displayName: 'Engineering' }],
          ['group.members_changed', { added: 1, removed: 0, addedIds: [user.id], removedIds: [] }],
          ['group.deleted', {}],
          ['member.removed', { reason: 'deleted' }],
        ],
      )
      t.ok(
        all.filter((e) => e.kind.startsWith('member.')).every((e) => e.accountId === user.accountId && e.resource?.id === user.id),
        'member events carry the account and the SCIM user',
      )
      t.ok(
        all.every((e) => e.teamId === 'a'),
        'and the team',
      )
    })

    t.test('member events follow the membership: one account for two IdP users, a deleted inactive user', async (t) => {
      await team(db, 'a')
      const ctx = { teamId: 'a', endpointId: 'e' }
      const users = new UserProvisioning(store, clock)
      const email = [{ value: 'pat@example.com', primary: true }]
      const { user: first } = await users.create(ctx, { schemas: [USER], userName: 'pat-1', emails: email })
      const { user: second } = await users.create(ctx, { schemas: [USER], userName: 'pat-2', emails: email })
      t.equal(second.accountId, first.accountId, 'both IdP users stand for one account')
      const off = (id: string) =>
        users.replace(ctx, id, { schemas: [USER], userName: id === first.id ? 'pat-1' : 'pat-2', emails: email, active: false })
      await off(first.id)
      await off(second.id)
      await users.remove(ctx, second.id)
      await caughtUp(events, 2)
      t.same(
        (await follow(events, FEED_START, 100)).map((e) => [e.kind, e.resource?.id, e.changes.reason]),
        [
          ['member.added', first.id, undefined],
          ['member.removed', second.id, 'deactivated'],
        ],
        'added once; removed only when the last user standing for the account is deactivated; deleting it after changes no membership',
      )
    })

    /**
     * The real store, whose second read (the feed tail's first, after the long poll's own) is held
     * until `letGo()`: its query runs at once and its answer waits ('answer'), or its query waits too
     * ('query'). What happens while the tail's read is out can then be arranged.
     */
    const tailReadHeld = (held: 'answer' | 'query' = 'answer') => {
      let reads = 0
      let tailRead!: () => void
      let letGo!: () => void
      const tailHasRead = new Promise<void>((resolve) => (tailRead = resolve))
      const gate = new Promise<void>((resolve) => (letGo = resolve))
      const store = Object.create(events) as PgEventStore
      store.listChanges = async (...args) => {
        if (++reads !== 2) return events.listChanges(...args)
        tailRead()
        if (held === 'query') await gate
        const page = await events.listChanges(...args)
        await gate
        return page
      }
      const signal = new ChangeSignal()
      // No polling within the tests: only a wake-up can bring an event before a long poll's 20 s run out.
      return { feed: new ChangeFeed(store, signal, { pollMs: 60_000 }), signal, tailHasRead, letGo, reads: () => reads }
    }

    t.test("a commit while the feed's shared read is out is not missed: the next read follows at once", async (t) => {
      await team(db, 'gen')
      const head = (await events.listChanges({}, FEED_START, 1_000)).through
      const { feed, signal, tailHasRead, letGo, reads } = tailReadHeld()
      const poll = feed.read({ after: head, limit: 10, waitMs: 20_000 })
      await tailHasRead
      // The commit and its wake-up come after the tail read (it saw nothing) and before it answered.
      await record(store, 'gen', 1)
      signal.notify()
      letGo()
      const page = await poll
      t.same(
        page.events.map((event) => event.changes),
        [{ n: 1 }],
        'the long poll gets the event (a lost wake-up would leave it waiting for the poll interval)',
      )
      t.ok(reads() >= 3, 'read again after the held read')
    })

    t.test('a long poll that starts waiting while the tail reads, below where that read began, gets what follows its cursor', async (t) => {
      await team(db, 'ahead')
      await team(db, 'late')
      const head = await lastEventId(db)
      const { feed, signal, tailHasRead, letGo } = tailReadHeld()
      // A cursor well past the head (a client may hold one): the tail's read begins there.
      const done = new AbortController()
      const ahead = feed.read({ teamId: 'ahead', after: head + 1_000, limit: 10, waitMs: 20_000, abort: done.signal })
      await tailHasRead
      // While that read is out, another long poll starts waiting at the head, below where it began.
      const late = feed.read({ teamId: 'late', after: head, limit: 10, waitMs: 20_000 })
      await eventually(
        async () => feed.waitingCount,
        (waiting) => waiting === 2,
      )
      await record(store, 'late', 1)
      signal.notify()
      letGo()
      t.same(
        (await late).events.map((event) => event.changes),
        [{ n: 1 }],
        "the late poll gets its team's event, which the read that began past its cursor could not have held",
      )
      done.abort()
      t.same((await ahead).events, [], 'the other, ended by its client, had nothing past its cursor')
    })

    t.test('events a late long poll has not had are not handed to it from a read that began past its cursor', async (t) => {
      await team(db, 'ahead')
      await team(db, 'late')
      const head = await lastEventId(db)
      const { feed, signal, tailHasRead, letGo } = tailReadHeld('query')
      // The tail's read will begin past the next two events' ids; its query waits until let go.
      const done = new AbortController()
      const ahead = feed.read({ teamId: 'ahead', after: head + 2, limit: 10, waitMs: 20_000, abort: done.signal })
      await tailHasRead
      const late = feed.read({ teamId: 'late', after: head, limit: 10, waitMs: 20_000 })
      await eventually(
        async () => feed.waitingCount,
        (waiting) => waiting === 2,
      )
      // head+1 (late), head+2 (ahead), head+3 (late): the held read, from head+2, will see the third only.
      await record(store, 'late', 1)
      await record(store, 'ahead', 2)
      await record(store, 'late', 3)
      signal.notify()
      letGo()
      t.same(
        (await late).events.map((event) => event.changes),
        [{ n: 1 }, { n: 3 }],
        'the late poll gets both of its events in order, not the later one alone',
      )
      done.abort()
      t.same((await ahead).events, [], 'the other, ended by its client, had nothing past its cursor')
    })

    if (db.name !== 'postgres') return

    t.test('an event committed while an older transaction runs waits for it; a rollback holds nothing up', async (t) => {
      await team(db, 'a')
      const pool = new pg.Pool({ connectionString: db.url, max: 4 })
      t.teardown(() => pool.end())
      const older = await pool.connect()
      const rolledBack = await pool.connect()
      try {
        await older.query('begin')
        await older.query(`insert into audit_events (team_id, source, action, outcome) values ('a', 'admin', 'first write', 'ok')`)
        await rolledBack.query('begin')
        await rolledBack.query(`insert into change_events (team_id, kind, changes) values ('a', 'member.added', '{"n": 0}')`)
        await record(store, 'a', 2)
        t.same((await events.listChanges({}, FEED_START, 10)).events, [], 'the newer commit waits behind the older transaction')
        await rolledBack.query('rollback')
        t.same((await events.listChanges({}, FEED_START, 10)).events, [], 'still waiting: the older one runs')
        await older.query(`insert into change_events (team_id, kind, changes) values ('a', 'member.added', '{"n": 1}')`)
        await older.query('commit')
        await caughtUp(events, 2)
        t.same(
          (await events.listChanges({}, FEED_START, 10)).events.map((e) => e.changes.n),
          [2, 1],
          'both once the older one ended, in the order their events were written; the rollback left nothing',
        )
      } finally {
        older.release()
        rolledBack.release()
      }
    })

    t.test("a wake-up whose event an older transaction holds back is answered once it ends, without the poll's interval", async (t) => {
      await team(db, 'a')
      const head = (await events.listChanges({}, FEED_START, 1_000)).through
      const pool = new pg.Pool({ connectionString: db.url, max: 2 })
      t.teardown(() => pool.end())
      const older = await pool.connect()
      t.teardown(() => older.release())
      await older.query('begin')
      await older.query(`insert into audit_events (team_id, source, action, outcome) values ('a', 'admin', 'older', 'ok')`)
      const { store: counted, reads } = countedReads(events)
      const signal = new ChangeSignal()
      // No polling within the test: only the wake-up and the reads that follow it can bring the event.
      const feed = new ChangeFeed(counted, signal, { pollMs: 60_000 })
      const poll = feed.read({ after: head, limit: 10, waitMs: 20_000 })
      await eventually(
        async () => feed.waitingCount,
        (waiting) => waiting === 1,
      )
      await record(store, 'a', 1)
      const before = reads()
      signal.notify()
      // The wake-up's read and the settling read after it both find the event held back.
      await eventually(
        async () => reads(),
        (n) => n >= before + 2,
      )
      await older.query('commit')
      t.same(
        (await poll).events.map((event) => event.changes),
        [{ n: 1 }],
        'the tail keeps reading, further apart each time, until the bound passes the event (no further wake-up comes)',
      )
    })

    t.test('overlapping long transactions and frequent reads do not stall the feed', async (t) => {
      // Each long transaction starts before the one before it ends, and 70 reads (each after a
      // commit) happen in between: more than the 64 samples a store keeps. The samples taken before
      // a transaction started are the ones its predecessor's end confirms; a store that kept the
      // newest samples instead would have dropped them, and the bound would never move.
      await team(db, 'a')
      const pool = new pg.Pool({ connectionString: db.url, max: 4 })
      t.teardown(() => pool.end())
      const begin = async () => {
        const client = await pool.connect()
        await client.query('begin')
        await client.query(`insert into audit_events (team_id, source, action, outcome) values ('a', 'admin', 'long', 'ok')`)
        return client
      }
      let running = await begin()
      let recorded = 0
      let beforeLast = 0
      for (let step = 0; step < 3; step++) {
        const next = await begin()
        beforeLast = recorded
        for (let i = 0; i < 70; i++) {
          await record(store, 'a', recorded++)
          await events.listChanges({}, FEED_START, 1)
        }
        await running.query('commit')
        running.release()
        running = next
      }
      try {
        // The last transaction is still open: what was recorded before it began must come through.
        let handedOut = 0
        for (const deadline = Date.now() + 10_000; handedOut < beforeLast && Date.now() < deadline;) {
          handedOut = (await follow(events, FEED_START, 500)).length
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        t.ok(handedOut >= beforeLast, `${handedOut} of the ${beforeLast} events recorded before the open transaction began are handed out`)
      } finally {
        await running.query('rollback')
        running.release()
      }
    })

    t.test('the webhook lag counts events the feed holds back behind an open transaction', async (t) => {
      await team(db, 'a')
      await events.setTeamWebhook('a', 'https://hooks.example.test/a', { newSecret: 'whsec_a', rotateSecret: false })
      const pool = new pg.Pool({ connectionString: db.url, max: 2 })
      t.teardown(() => pool.end())
      const open = await pool.connect()
      try {
        await open.query('begin')
        await open.query(`insert into audit_events (team_id, source, action, outcome) values ('a', 'admin', 'left open', 'ok')`)
        await record(store, 'a', 1)
        await new Promise((resolve) => setTimeout(resolve, 1_100))
        t.same((await events.listChanges({}, FEED_START, 10)).events, [], 'the feed holds the event back')
        const age = await events.oldestUndeliveredAgeSeconds(['team'])
        t.ok(age >= 1, `the lag metric sees it waiting (${age.toFixed(2)} s), instead of reading 0`)
      } finally {
        await open.query('rollback')
        open.release()
      }
    })

    t.test('concurrent writers, some rolling back, never make a follower skip an event', async (t) => {
      const TEAMS = ['t0', 't1', 't2']
      for (const id of TEAMS) await db.rows(sql`insert into teams (id, name) values (${id}, 'n0')`)
      const writers = new PgStores(db.database.db)
      const committed = new Set<string>()
      const seen: ChangeEvent[] = []
      let writing = true
      const follower = (async () => {
        let cursor = FEED_START
        // Until the writers are done and a last read after that finds nothing new.
        for (let quiet = false; ;) {
          // The cursor moves to where the page says, past holes and up to the bound when the page is short.
          const page = await events.listChanges({}, cursor, 7)
          seen.push(...page.events)
          t.ok(page.through >= cursor, 'a cursor never moves back')
          cursor = page.through
          if (page.events.length === 0 && quiet) return
          if (!writing) quiet = page.events.length === 0
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
        }
      })()
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
      const writer = async (w: number) => {
        for (let i = 0; i < 40; i++) {
          const teamId = TEAMS[(w + i) % TEAMS.length]!
          const conflicting = i % 2 === 0
          const label = `${w}.${i}`
          try {
            await writers.transaction(async (tx) => {
              if (conflicting) {
                // Conflicting writes: the team row's lock is the first write, and the team's counter
                // (its name) says in which order they were applied.
                await tx.accounts.lockTeam(teamId)
                const current = Number((await tx.accounts.getTeam(teamId))!.name.slice(1))
                await tx.accounts.upsertTeam(teamId, `n${current + 1}`)
                await sleep(Math.random() * 4)
                await tx.audit.recordChanges(teamId, { source: 'admin', action: 'test', outcome: 'ok' }, [
                  { kind: 'member.added', changes: { label, applied: current + 1 } },
                ])
              } else {
                // A first write, a pause (others commit meanwhile), then the event.
                await tx.audit.appendEvent(teamId, { source: 'admin', action: 'first', outcome: 'ok' })
                await sleep(Math.random() * 6)
                await tx.audit.recordChanges(teamId, { source: 'admin', action: 'test', outcome: 'ok' }, [
                  { kind: 'member.added', changes: { label } },
                ])
              }
              if (Math.random() < 0.2) throw new Error('rollback')
            })
            committed.add(label)
          } catch (error) {
            if (!(error instanceof Error) || error.message !== 'rollback') throw error
          }
        }
      }
      await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)))
      writing = false
      await follower
      const labels = seen.map((e) => String(e.changes.label))
      t.equal(new Set(labels).size, labels.length, 'no event twice')
      t.same(new Set(labels), committed, 'every committed event reached the follower, no rolled-back one did')
      t.ok(committed.size > 200, `${committed.size} events committed`)
      for (const teamId of TEAMS) {
        const applied = seen.filter((e) => e.teamId === teamId && e.changes.applied !== undefined).map((e) => e.changes.applied as number)
        const counted = await db.rows<{ name: string }>(sql`select name from teams where id = ${teamId}`)
        t.same(
          applied,
          Array.from({ length: Number(counted[0]!.name.slice(1)) }, (_, i) => i + 1),
          `team ${teamId}: conflicting writes in the order they were applied`,
        )
      }
    })
  })
}
