/**
 * Webhook endpoint rows on PGlite and PostgreSQL, at the store: a claim is one replica's until it is
 * recorded, failed or given back (a later claim's token makes the earlier one's writes no-ops), a
 * deliverer's stop() gives its leases back, a team URL's own secret is issued once and kept, and the
 * service channel's rows are made for new teams each second and for every team on a sweep.
 */
import { sql } from 'drizzle-orm'
import { t } from '../helpers/file-test.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { WebhookDeliverer } from '../../src/events/webhook-deliverer.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { eventually } from '../helpers/eventually.js'
import { webhookReceiver } from '../helpers/webhook-receiver.js'

const SECRET = `whsec_${Buffer.from('webhook-endpoints-test-secret-0123').toString('base64')}`
const TEAM_SECRET = `whsec_${Buffer.from('a-team-url-own-secret-0123456789ab').toString('base64')}`
const quiet = { info: () => undefined, warn: () => undefined }

async function teamWithEvents(db: TestDatabase, id: string, count: number, createdAt = 'now()'): Promise<void> {
  await db.rows(sql`insert into teams (id, name, created_at) values (${id}, ${id}, ${sql.raw(createdAt)})`)
  for (let n = 0; n < count; n++) {
    await db.store.audit.recordChanges(id, { source: 'admin', action: 'test', outcome: 'ok' }, [{ kind: 'member.added', changes: { n } }])
  }
}

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    t.beforeEach(() => db.reset())

    t.test('a claim is one holder’s: a later claim of the same endpoint makes the earlier one’s writes no-ops', async (t) => {
      await teamWithEvents(db, 'a', 3)
      const events = new PgEventStore(db.database.db)
      t.same(await events.setTeamWebhook('a', 'https://hooks.example.test/a', { newSecret: TEAM_SECRET, rotateSecret: false }), {
        secretIssued: true,
      })
      const [first] = await eventually(
        () => events.claimWebhookEndpoints('replica-1', 60_000, 10, ['team']),
        (claimed) => claimed.length > 0,
      )
      t.match(first, { teamId: 'a', channel: 'team', url: 'https://hooks.example.test/a', secret: TEAM_SECRET, position: 0 })
      t.same(await events.claimWebhookEndpoints('replica-2', 60_000, 10, ['team']), [], 'leased: no other replica claims it')
      // The lease runs out (replica-1 stalled): another replica takes the endpoint over.
      await db.rows(sql`update webhook_endpoints set leased_until = now() - interval '1 second'`)
      const [second] = await events.claimWebhookEndpoints('replica-2', 60_000, 10, ['team'])
      t.ok(second, 'claimed again once the lease ran out')
      t.not(second!.lease, first!.lease, 'with a token of its own')
      t.equal(await events.recordDelivery(first!, 2, 2, 60_000), false, 'the first holder’s delivery record is refused')
      await events.recordFailure(first!, new Date(Date.now() + 60_000), 'late failure')
      await events.releaseWebhookEndpoint(first!)
      const [row] = await db.rows<{ cursor_id: string; attempts: number; lease_owner: string | null }>(
        sql`select cursor_id, attempts, lease_owner from webhook_endpoints where team_id = 'a'`,
      )
      t.match(row, { attempts: 0, lease_owner: second!.lease }, 'neither its failure nor its release touched the new holder’s lease')
      t.equal(Number(row!.cursor_id), 0)
      t.equal(await events.recordDelivery(second!, 3, 3, 60_000), true, 'the holder records')
      t.equal(await events.recordDelivery(second!, 2, 1, 60_000), false, 'a cursor never moves back')
      await events.releaseWebhookEndpoint(second!)
      t.same(await events.claimWebhookEndpoints('replica-3', 60_000, 10, ['team']), [], 'nothing left past the cursor: nothing to claim')
    })

    t.test('a team URL’s secret is issued with the endpoint, kept across URL changes, rotated on request', async (t) => {
      await teamWithEvents(db, 'a', 0)
      const events = new PgEventStore(db.database.db)
      const set = (url: string, newSecret: string, rotateSecret = false) => events.setTeamWebhook('a', url, { newSecret, rotateSecret })
      t.same(await set('https://one.test/', 'whsec_one'), { secretIssued: true })
      t.same(await set('https://two.test/', 'whsec_two'), { secretIssued: false }, 'a URL change keeps the secret')
      t.same(await set('https://two.test/', 'whsec_three', true), { secretIssued: true })
      const secret = async () => (await db.rows<{ secret: string; url: string }>(sql`select secret, url from webhook_endpoints`))[0]
      t.same(await secret(), { secret: 'whsec_three', url: 'https://two.test/' })
      // A URL set before endpoints had secrets: the next PUT gives it one.
      await db.rows(sql`update webhook_endpoints set secret = null`)
      t.same(await set('https://two.test/', 'whsec_four'), { secretIssued: true })
      t.equal(await events.removeTeamWebhook('a'), true)
      t.equal(await events.removeTeamWebhook('a'), false, 'nothing left to remove')
    })

    t.test('service channel rows: new teams each second, every team on a sweep', async (t) => {
      await teamWithEvents(db, 'old', 0, `now() - interval '1 day'`)
      await teamWithEvents(db, 'new', 0)
      const events = new PgEventStore(db.database.db)
      const rows = async () =>
        (await db.rows<{ team_id: string }>(sql`select team_id from webhook_endpoints where channel = 'service' order by team_id`)).map(
          (r) => r.team_id,
        )
      await events.ensureServiceEndpoints(new Date(Date.now() - 120_000))
      t.same(await rows(), ['new'], 'the recent look makes the new team’s row only')
      await events.ensureServiceEndpoints()
      t.same(await rows(), ['new', 'old'], 'the sweep makes every team’s')
      await events.ensureServiceEndpoints()
      t.same(await rows(), ['new', 'old'], 'and is idempotent')
    })

    t.test('a deliverer looks for new teams each second and sweeps every team at start and each ten minutes', async (t) => {
      const real = new PgEventStore(db.database.db)
      const looks: (Date | undefined)[] = []
      const events = Object.create(real) as PgEventStore
      events.ensureServiceEndpoints = (createdSince) => {
        looks.push(createdSince)
        return real.ensureServiceEndpoints(createdSince)
      }
      let now = Date.parse('2026-06-01T00:00:00Z')
      const deliverer = new WebhookDeliverer({
        events,
        signal: new ChangeSignal(),
        serviceUrl: 'https://hooks.example.test/all',
        secret: SECRET,
        timeoutMs: 1_000,
        log: quiet,
        pollMs: 10,
        clock: () => new Date(now),
      })
      deliverer.start()
      t.teardown(() => deliverer.stop())
      const looked = (count: number) =>
        eventually(
          async () => looks.length,
          (n) => n >= count,
        )
      await looked(1)
      t.same(looks, [undefined], 'a sweep at start')
      // The loop runs every 10 ms on the test's clock, which stands still: no second look until it moves.
      await new Promise((resolve) => setTimeout(resolve, 100))
      t.equal(looks.length, 1, 'not again within the second')
      now += 1_001
      await looked(2)
      t.same(looks[1], new Date(now - 120_000), 'a second on: the teams of the last two minutes')
      now += 598_000
      await looked(3)
      t.same(looks[2], new Date(now - 120_000), 'still the recent look, short of ten minutes')
      now += 2_000
      await looked(4)
      t.equal(looks[3], undefined, 'ten minutes after the last sweep: every team again')
    })

    t.test('a deliverer that stops gives its leases back: the next replica carries on at once', async (t) => {
      await teamWithEvents(db, 'a', 5)
      const receiver = await webhookReceiver(t, TEAM_SECRET, { respond: () => 'hang' })
      const events = new PgEventStore(db.database.db)
      await events.setTeamWebhook('a', receiver.url, { newSecret: TEAM_SECRET, rotateSecret: false })
      const deliverer = new WebhookDeliverer({
        events,
        signal: new ChangeSignal(),
        secret: SECRET,
        timeoutMs: 30_000,
        log: quiet,
        pollMs: 50,
      })
      deliverer.start()
      await eventually(
        () => receiver.requests.length,
        (n) => n > 0,
      )
      t.ok(receiver.requests[0]!.verified, 'signed with the team URL’s own secret')
      const [held] = await db.rows<{ lease_owner: string | null }>(sql`select lease_owner from webhook_endpoints`)
      t.ok(held!.lease_owner, 'leased while it posts')
      await deliverer.stop()
      const [released] = await db.rows<{ lease_owner: string | null; cursor_id: string }>(
        sql`select lease_owner, cursor_id from webhook_endpoints`,
      )
      t.equal(released!.lease_owner, null, 'stop() aborted the post and released the lease (not left to run out for 65 s)')
      t.equal(Number(released!.cursor_id), 0, 'the unanswered event is still to deliver')
      t.equal((await events.claimWebhookEndpoints('next', 60_000, 10, ['team'])).length, 1, 'another replica claims it at once')
    })
  })
}
