/**
 * The change feed over the admin API (issue #17), on both databases: behind the admin credential,
 * every team's events or one team's, oldest first, an opaque cursor that resumes exactly, long
 * polling answered by the first commit, no token in any payload; and each team's webhook endpoint
 * set, shown with its delivery state, and removed. On PostgreSQL, a long poll on one replica is
 * woken by a commit on another through LISTEN/NOTIFY (its own polling is set far beyond the wait).
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { hashToken } from '../../src/auth/tokens.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { listenForChanges } from '../../src/store/pg/pg-change-listener.js'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { admin, ADMIN_TOKEN, BASE_URL, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

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
      for (let tries = 0; ; tries++) {
        const res = await admin(app, 'GET', url)
        t.equal(res.statusCode, 200, res.body)
        const page = res.json<FeedPage>()
        if (page.events.length >= count || tries > 200) return page
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
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
      t.equal(all.nextCursor, removed.cursor, 'nextCursor is the last event’s cursor')
      t.notMatch(JSON.stringify(all), a.token, 'no SCIM token in any event')
      t.notMatch(JSON.stringify(all), b.token)

      const rest = await admin(app, 'GET', `/events?after=${all.events[1]!.cursor}&limit=1`)
      t.same(
        rest.json<FeedPage>().events.map((e) => e.kind),
        ['member.added'],
        'after the second event, one at a time',
      )
      const none = (await admin(app, 'GET', `/events?after=${all.nextCursor}`)).json<FeedPage>()
      t.same(none, { events: [], nextCursor: all.nextCursor }, 'nothing new: the same cursor back')

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
      const page = await feed('/events', 5)
      t.same(
        page.events.map((e) => [e.teamId, e.kind, e.changes]),
        [
          ['team-a', 'scim.enabled', { endpointId: a.endpointId }],
          ['team-b', 'scim.enabled', { endpointId: b.endpointId }],
          ['team-a', 'scim.rotated', { endpointId: a.endpointId }],
          ['team-a', 'scim.disabled', { endpointId: a.endpointId }],
          ['team-b', 'scim.suspended', { endpointId: b.endpointId, reason: 'sso_inactive' }],
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

    if (db.name !== 'postgres') return

    t.test('a long poll on one replica is woken by a commit on another (LISTEN/NOTIFY)', async (t) => {
      const replica = async () => {
        const database = await openDatabase({ url: db.url })
        const signal = new ChangeSignal()
        const listener = listenForChanges(db.url!, () => signal.notify(), { warn: () => undefined })
        const store = new PgStores(database.db, { onChangesCommitted: () => listener.announce() })
        const replicaApp = await buildApp({
          store,
          ping: () => database.ping(),
          adminTokenHash: hashToken(ADMIN_TOKEN),
          publicBaseUrl: BASE_URL,
          // Without a notification this replica would not look again within the poll's wait.
          events: { store: new PgEventStore(database.db), signal, pollMs: 120_000 },
        })
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
