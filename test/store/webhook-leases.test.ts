/**
 * Webhook leases against a slow receiver, on PGlite and PostgreSQL: two deliverers (two replicas'
 * worth) share one endpoint whose receiver takes longer per batch than a lease lasts. Each renews
 * its lease as it goes, so the other never claims the endpoint mid-delivery: every event arrives
 * once, in feed order. (Before leases were renewed within a batch, the second deliverer claimed
 * the endpoint once the first one's lease ran out and posted the same events again beside it.)
 */
import { sql } from 'drizzle-orm'
import t from 'tap'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { WebhookDeliverer } from '../../src/events/webhook-deliverer.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { testDatabases } from '../helpers/databases.js'
import { until } from '../helpers/eventually.js'
import { webhookReceiver } from '../helpers/webhook-receiver.js'

const SECRET = `whsec_${Buffer.from('webhook-lease-test-secret-0123456789').toString('base64')}`
const EVENTS = 60
const quiet = { info: () => undefined, warn: () => undefined }

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    await db.reset()
    await db.rows(sql`insert into teams (id, name) values ('slow', 'slow')`)
    for (let n = 0; n < EVENTS; n++) {
      await db.store.audit.recordChanges('slow', { source: 'admin', action: 'test', outcome: 'ok' }, [
        { kind: 'member.added', changes: { n } },
      ])
    }

    // 160 ms an event: 50 events (one batch) take 8 s, past the 7 s lease of a 1 s timeout (a timeout short enough to
    // shorten the lease, long enough that a loaded machine does not time a post out and send it again by right).
    const { url, requests } = await webhookReceiver(t, SECRET, { delayMs: 160 })
    const received = () => requests.map((r) => (r.payload?.data.changes as { n: number }).n)

    const events = new PgEventStore(db.database.db)
    await events.setTeamWebhook('slow', url, { newSecret: SECRET, rotateSecret: false })
    const replicas = [0, 1].map(
      () =>
        new WebhookDeliverer({
          events: new PgEventStore(db.database.db),
          signal: new ChangeSignal(),
          secret: SECRET,
          timeoutMs: 1_000,
          log: quiet,
          pollMs: 100,
        }),
    )
    for (const replica of replicas) replica.start()
    t.teardown(() => Promise.all(replicas.map((replica) => replica.stop())))

    // Bounded: 60 events at 160 ms are 9.6 s; a generous limit for a busy machine.
    await until(() => requests.length >= EVENTS, { timeoutMs: 60_000, everyMs: 100 })
    // A moment more: a second deliverer posting the same events again would show here.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    t.ok(
      requests.every((r) => r.verified),
      'every post is signed',
    )
    t.same(
      received(),
      Array.from({ length: EVENTS }, (_, n) => n),
      'every event once, in feed order, though a batch outlasts the lease',
    )
    const [state] = await events.webhookStates('slow')
    t.match(state, { pending: 0 }, 'and the endpoint has nothing left to deliver')
  })
}
