/**
 * The change feed over the admin API, on both databases: behind the admin credential,
 * every team's events or one team's, oldest first, an opaque cursor that resumes exactly, long
 * polling answered by the first commit, no token in any payload; and each team's webhook endpoint
 * set, shown with its delivery state, and removed. On PostgreSQL, a long poll on one replica is
 * woken by a commit on another through LISTEN/NOTIFY (its own polling is set far beyond the wait).
 */
import { t } from '../helpers/file-test.js'
import { decodeCursor } from '../../src/events/change-event.js'
import { ChangeFeed } from '../../src/events/change-feed.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { listenForChanges } from '../../src/store/pg/pg-change-listener.js'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { admin, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'
import { countedReads } from '../helpers/counted-reads.js'
import { eventually } from '../helpers/eventually.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

interface FeedPage {
  events: {
    id: string
    cursor: string
    kind: string
    teamId: string
    accountId: string | null
    resource: unknown
    changes: Record<string, unknown>
  }[]
  nextCursor: string
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    t.beforeEach(() => db.reset())

    /** The feed once it has `count` events (the bound may wait a moment for other transactions on a shared server). */
    const feed = async (url: string, count: number): Promise<FeedPage> => {
      const res = await eventually(
        () => admin(app, 'GET', url),
        (res) => res.statusCode !== 200 || res.json<FeedPage>().events.length >= count,
        { everyMs: 25 },
      )
      t.equal(res.statusCode, 200, res.body)
      return res.json<FeedPage>()
    }

    t.test('the feed lists every team’s events oldest first, and a cursor resumes after the last one', async (t) => {
      const a = await scimTeam(app, 'team-a')
      const b = await scimTeam(app, 'team-b')
      const created = await scim(app, a, 'POST', '/Users', { schemas: [USER], userName: 'ana@example.com', displayName: 'Ana' })
      const user = created.json<{ id: string }>()
      await scim(app, a, 'PATCH', `/Users/${user.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      })
      const all = await feed('/events', 4)
      t.same(
        all.events.map((e) => [e.teamId, e.kind]),
        [
          ['team-a', 'scim.enabled'],
          ['team-b', 'scim.enabled'],
          ['team-a', 'member.added'],
          ['team-a', 'member.removed'],
        ],
      )
      const removed = all.events[3]!
      t.same(removed.resource, { type: 'User', id: user.id })
      t.same(removed.changes, { active: false, reason: 'deactivated' })
      t.ok(
        decodeCursor(all.nextCursor)! >= decodeCursor(removed.cursor)!,
        'nextCursor continues after the last event (or past it, up to the bound)',
      )
      t.notMatch(JSON.stringify(all), a.token, 'no SCIM token in any event')
      t.notMatch(JSON.stringify(all), b.token)

      const rest = await admin(app, 'GET', `/events?after=${all.events[1]!.cursor}&limit=1`)
      t.same(
        rest.json<FeedPage>().events.map((e) => e.kind),
        ['member.added'],
        'after the second event, one at a time',
      )
      const none = (await admin(app, 'GET', `/events?after=${all.nextCursor}`)).json<FeedPage>()
      t.same(none.events, [], 'nothing new')
      t.ok(decodeCursor(none.nextCursor)! >= decodeCursor(all.nextCursor)!, 'and a cursor that never moves back')

      const teamB = await feed('/teams/team-b/events', 1)
      t.same(
        teamB.events.map((e) => e.kind),
        ['scim.enabled'],
        "a team's feed has its own events",
      )
      t.equal((await admin(app, 'GET', '/teams/nope/events')).json().error.code, 'team_not_found')
      const bad = await admin(app, 'GET', '/events?after=not-a-cursor')
      t.equal(bad.statusCode, 400)
      t.equal(bad.json().error.code, 'invalid_request')
      t.equal((await admin(app, 'GET', '/events?limit=0')).statusCode, 400)
      t.equal((await admin(app, 'GET', '/events?wait=31')).statusCode, 400, 'a long poll waits 30 s at most')
      t.equal((await admin(app, 'GET', '/events', { token: null })).statusCode, 401, 'behind the admin credential')
      t.equal((await admin(app, 'GET', '/teams/team-a/events', { token: null })).statusCode, 401)
      for (const query of ['wait=abc', 'wait=-1', 'limit=1001', 'limit=abc', 'after=djEu', 'after=not-a-cursor']) {
        const refused = await admin(app, 'GET', `/teams/team-a/events?${query}`)
        t.equal(refused.statusCode, 400, `${query}: 400`)
        t.equal(refused.json().error.code, 'invalid_request', `${query}: in the admin API's error shape`)
      }
    })

    t.test('the Owner rotating and disabling SCIM, and SSO removed under an enabled connection, are events', async (t) => {
      const a = await scimTeam(app, 'team-a')
      const b = await scimTeam(app, 'team-b')
      const rotated = await admin(app, 'POST', '/teams/team-a/scim/rotate', { actor: a.ownerAccountId })
      t.equal(rotated.statusCode, 200, rotated.body)
      t.equal((await admin(app, 'DELETE', '/teams/team-a/scim', { actor: a.ownerAccountId })).statusCode, 204)
      t.equal((await admin(app, 'DELETE', '/teams/team-b/sso')).statusCode, 204)
      // SSO back under the suspended connection: it serves again, and the app hears it once.
      for (let i = 0; i < 2; i++) t.equal((await admin(app, 'PUT', '/teams/team-b/sso', { body: { protocol: 'oidc' } })).statusCode, 200)
      // SSO set on a team whose SCIM was disabled (team-a): nothing resumes.
      t.equal((await admin(app, 'DELETE', '/teams/team-a/sso')).statusCode, 204)
      t.equal((await admin(app, 'PUT', '/teams/team-a/sso', { body: { protocol: 'saml' } })).statusCode, 200)
      const page = await feed('/events', 6)
      t.same(
        page.events.map((e) => [e.teamId, e.kind, e.changes]),
        [
          ['team-a', 'scim.enabled', { endpointId: a.endpointId }],
          ['team-b', 'scim.enabled', { endpointId: b.endpointId }],
          ['team-a', 'scim.rotated', { endpointId: a.endpointId }],
          ['team-a', 'scim.disabled', { endpointId: a.endpointId }],
          ['team-b', 'scim.suspended', { endpointId: b.endpointId, reason: 'sso_inactive' }],
          ['team-b', 'scim.resumed', { endpointId: b.endpointId }],
        ],
      )
      t.notMatch(JSON.stringify(page), rotated.json<{ token: string }>().token, 'the new token is in no event')
    })

    t.test('a long poll answers with the first event committed while it waits', async (t) => {
      const a = await scimTeam(app, 'team-a')
      const start = await feed('/events', 1)
      const polled = admin(app, 'GET', `/events?after=${start.nextCursor}&wait=20`)
      await new Promise((resolve) => setTimeout(resolve, 100))
      await scim(app, a, 'POST', '/Users', { schemas: [USER], userName: 'bo@example.com' })
      const page = (await polled).json<FeedPage>()
      t.same(
        page.events.map((e) => e.kind),
        ['member.added'],
      )
    })

    t.test("a team's webhook URL is set, shown with its delivery state, and removed", async (t) => {
      await scimTeam(app, 'team-a')
      const set = await admin(app, 'PUT', '/teams/team-a/webhook', { body: { url: 'https://hooks.example.test/scim' } })
      t.equal(set.statusCode, 200, set.body)
      const state = set.json<{ deliveryEnabled: boolean; endpoints: Record<string, unknown>[] }>()
      t.equal(state.deliveryEnabled, false, 'this app has no WEBHOOK_SECRET')
      t.match(state.endpoints, [
        { channel: 'team', url: 'https://hooks.example.test/scim', delivered: 0, failedAttempts: 0, lastError: null },
      ])
      await feed('/events', 1)
      const shown = (await admin(app, 'GET', '/teams/team-a/webhooks')).json<{ endpoints: { pending: number }[] }>()
      t.equal(shown.endpoints[0]!.pending, 1, 'the scim.enabled event waits for it')
      t.equal((await admin(app, 'PUT', '/teams/team-a/webhook', { body: { url: 'ftp://x' } })).statusCode, 400)
      const credentials = await admin(app, 'PUT', '/teams/team-a/webhook', { body: { url: 'https://user:secret@hooks.example.test/scim' } })
      t.equal(credentials.statusCode, 400, 'a URL with credentials is refused (fetch would refuse it on every attempt)')
      t.notMatch(credentials.body, 'secret', 'and not echoed')
      for (const [method, path] of [
        ['GET', '/teams/team-a/webhooks'],
        ['PUT', '/teams/team-a/webhook'],
        ['DELETE', '/teams/team-a/webhook'],
      ] as const) {
        t.equal(
          (await admin(app, method, path, { token: null, body: { url: 'https://x.test/' } })).statusCode,
          401,
          `${method} ${path}: 401`,
        )
      }
      t.equal((await admin(app, 'DELETE', '/teams/team-a/webhook')).statusCode, 204)
      t.same((await admin(app, 'GET', '/teams/team-a/webhooks')).json().endpoints, [])
      t.equal((await admin(app, 'PUT', '/teams/nope/webhook', { body: { url: 'https://x.test/' } })).statusCode, 404)
    })

    t.test('group.members_changed names the Users added and removed, through the one-statement add too', async (t) => {
      const a = await scimTeam(app, 'team-a')
      const user = async (userName: string) =>
        (await scim(app, a, 'POST', '/Users', { schemas: [USER], userName })).json<{ id: string }>().id
      const [ana, bo] = [await user('ana@example.com'), await user('bo@example.com')]
      const created = await scim(app, a, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Eng',
        members: [{ value: ana }],
      })
      const group = created.json<{ id: string }>().id
      const patch = (operations: unknown[], headers: Record<string, string> = {}) =>
        scim(
          app,
          a,
          'PATCH',
          `/Groups/${group}`,
          { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations },
          headers,
        )
      // An add alone (Okta's and Entra's way) takes the one-statement path.
      t.equal((await patch([{ op: 'add', path: 'members', value: [{ value: bo }] }])).statusCode, 204)
      const stale = await patch([{ op: 'add', path: 'members', value: [{ value: ana }] }], { 'if-match': 'W/"1"' })
      t.equal(stale.statusCode, 412, 'a stale If-Match changes nothing')
      t.equal((await patch([{ op: 'remove', path: `members[value eq "${ana}"]` }])).statusCode, 204)
      const page = await feed('/teams/team-a/events', 6)
      t.same(
        page.events.filter((e) => e.kind.startsWith('group.')).map((e) => [e.kind, e.changes]),
        [
          ['group.created', { displayName: 'Eng', externalId: null, members: { added: 1, removed: 0, addedIds: [ana], removedIds: [] } }],
          ['group.members_changed', { added: 1, removed: 0, addedIds: [bo], removedIds: [] }],
          ['group.members_changed', { added: 0, removed: 1, addedIds: [], removedIds: [ana] }],
        ],
        'each with the SCIM ids of the Users, and none for the refused PATCH',
      )
      // Deleting a User takes its memberships with it: each of its groups' followers hears it.
      t.equal((await scim(app, a, 'DELETE', `/Users/${bo}`)).statusCode, 204)
      const after = await feed(`/teams/team-a/events?after=${page.nextCursor}`, 2)
      t.same(
        after.events.map((e) => [e.kind, (e.resource as { id: string } | null)?.id, e.changes]),
        [
          ['member.removed', bo, { reason: 'deleted' }],
          ['group.members_changed', group, { added: 0, removed: 1, addedIds: [], removedIds: [bo], reason: 'user_deleted' }],
        ],
      )
    })

    t.test('a team URL gets its own signing secret, shown once, kept across URL changes and rotated on request', async (t) => {
      await scimTeam(app, 'team-a')
      const put = (body: Record<string, unknown>) => admin(app, 'PUT', '/teams/team-a/webhook', { body })
      const first = (await put({ url: 'https://hooks.example.test/one' })).json<{ secret?: string }>()
      t.match(first.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'issued with the new endpoint')
      const moved = await put({ url: 'https://hooks.example.test/two' })
      t.equal(moved.statusCode, 200)
      t.notOk('secret' in moved.json<object>(), 'a URL change keeps the secret and does not show it again')
      t.notMatch(moved.body, first.secret!, 'nor anywhere else')
      t.notMatch((await admin(app, 'GET', '/teams/team-a/webhooks')).body, 'whsec_', 'the state never shows a secret')
      const rotated = (await put({ url: 'https://hooks.example.test/two', rotateSecret: true })).json<{ secret?: string }>()
      t.match(rotated.secret, /^whsec_/, 'rotateSecret issues a new one')
      t.not(rotated.secret, first.secret)
      const [row] = await db.rows<{ secret: string }>(`select secret from webhook_endpoints where team_id = 'team-a'`)
      t.equal(row!.secret, rotated.secret, 'the endpoint signs with the rotated one from now on')
      t.equal((await put({ url: 'https://hooks.example.test/two', rotateSecret: 'yes' })).statusCode, 400, 'rotateSecret is a boolean')
      t.equal((await admin(app, 'DELETE', '/teams/team-a/webhook')).statusCode, 204)
      const again = (await put({ url: 'https://hooks.example.test/two' })).json<{ secret?: string }>()
      t.ok(again.secret && again.secret !== rotated.secret, 'a URL set again after removal gets a new secret')
    })

    t.test('one read of new events per wake-up answers every waiting long poll, up to a cap', async (t) => {
      // The real store, counting the feed reads the app makes.
      const { store: counted, reads } = countedReads(new PgEventStore(db.database.db))
      const signal = new ChangeSignal()
      const feed = new ChangeFeed(counted, signal, { pollMs: 60_000, maxWaiting: 40 })
      // Commits wake the feed as in the service (no polling within the test: pollMs is a minute).
      const writes = new PgStores(db.database.db, { onChangesCommitted: () => signal.notify() })
      const capped = await testApp({ database: db.database, store: writes }, { events: { store: counted, signal, feed } })
      t.teardown(() => capped.close())
      const a = await scimTeam(capped, 'team-a')
      const b = await scimTeam(capped, 'team-b')
      const start = await eventually(
        () => admin(capped, 'GET', '/events?limit=1000'),
        (res) => res.json<FeedPage>().events.length >= 2,
      )
      const cursor = start.json<FeedPage>().nextCursor
      const polls = [
        ...Array.from({ length: 20 }, () => admin(capped, 'GET', `/events?after=${cursor}&wait=20`)),
        ...Array.from({ length: 10 }, () => admin(capped, 'GET', `/teams/team-a/events?after=${cursor}&wait=20`)),
        ...Array.from({ length: 10 }, () => admin(capped, 'GET', `/teams/team-b/events?after=${cursor}&wait=20`)),
      ]
      await eventually(
        async () => feed.waitingCount,
        (waiting) => waiting === 40,
      )
      const over = await admin(capped, 'GET', `/events?after=${cursor}&wait=20`)
      t.equal(over.statusCode, 429, 'the 41st long poll is refused')
      t.equal(over.json().error.code, 'rate_limited')
      t.equal(over.headers['retry-after'], '1')
      t.equal((await admin(capped, 'GET', `/events?after=${cursor}`)).statusCode, 200, 'a read without wait is not capped')

      const before = reads()
      await scim(capped, a, 'POST', '/Users', { schemas: [USER], userName: 'di@example.com' })
      const kinds = async (answered: typeof polls) =>
        (await Promise.all(answered)).map((res) => res.json<FeedPage>().events.map((e) => [e.teamId, e.kind]))
      t.same(
        await kinds(polls.slice(0, 30)),
        Array.from({ length: 30 }, () => [['team-a', 'member.added']]),
        "team-a's event, to 30 polls",
      )
      t.ok(reads() - before <= 5, `${reads() - before} feed reads answered 30 long polls (one tail, not one read each)`)
      t.equal(feed.waitingCount, 10, "team-b's polls wait on: nothing of theirs yet")
      await scim(capped, b, 'POST', '/Users', { schemas: [USER], userName: 'ed@example.com' })
      t.same(
        await kinds(polls.slice(30)),
        Array.from({ length: 10 }, () => [['team-b', 'member.added']]),
        "then team-b's own",
      )
      t.equal(feed.waitingCount, 0)
    })

    if (db.name !== 'postgres') return

    t.test('a long poll on one replica is woken by a commit on another (LISTEN/NOTIFY)', async (t) => {
      const replica = async () => {
        const database = await openDatabase({ url: db.url })
        const signal = new ChangeSignal()
        const listener = listenForChanges(db.url!, () => signal.notify(), { warn: () => undefined })
        const store = new PgStores(database.db, { onChangesCommitted: () => listener.announce() })
        const replicaApp = await testApp(
          { database, store },
          // Without a notification this replica would not look again within the poll's wait.
          { events: { store: new PgEventStore(database.db), signal, pollMs: 120_000 } },
        )
        t.teardown(async () => {
          await replicaApp.close()
          await listener.close()
          await database.close()
        })
        return replicaApp
      }
      const [one, two] = [await replica(), await replica()]
      const a = await scimTeam(two, 'team-a')
      // Both listeners are connected once a notification reaches them: wait for the first poll to see the enable.
      const first = (await admin(one, 'GET', '/events?wait=20')).json<FeedPage>()
      t.same(
        first.events.map((e) => e.kind),
        ['scim.enabled'],
      )
      const polled = admin(one, 'GET', `/events?after=${first.nextCursor}&wait=20`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      await scim(two, a, 'POST', '/Users', { schemas: [USER], userName: 'cy@example.com' })
      const page = (await polled).json<FeedPage>()
      t.same(
        page.events.map((e) => e.kind),
        ['member.added'],
        'the poll on replica one answered with replica two’s commit',
      )
    })
  })
}
