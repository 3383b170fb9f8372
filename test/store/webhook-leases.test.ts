/**
 * Webhook leases against a slow receiver, on PGlite and PostgreSQL: two deliverers (two replicas'
 * worth) share one endpoint whose receiver takes longer per batch than a lease lasts. Each renews
 * its lease as it goes, so the other never claims the endpoint mid-delivery: every event arrives
 * once, in feed order. (Before leases were renewed within a batch, the second deliverer claimed
 * the endpoint once the first one's lease ran out and posted the same events again beside it.)
 */
import { sql } from 'drizzle-orm'
import { t } from '../helpers/file-test.js'
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

  // Redirects are not followed (a receiver moved is a configuration to fix, and following one would
  // send a signed body somewhere not configured), and a post without an answer is given up at the
  // timeout; both are failures like a 5xx: recorded, backed off, posted again with the same webhook-id.
  // The 3xx case's timeout is long, so that a loaded machine cannot turn its failure into a timeout.
  for (const [name, first, timeoutMs, lastError] of [
    ['a 3xx', 302, 10_000, /^HTTP 302$/],
    ['no answer within the timeout', 'hang', 300, /no answer within 300 ms/],
  ] as const) {
    t.test(`${db.name}: ${name} is a failure, backed off and retried`, async (t) => {
      await db.reset()
      await db.rows(sql`insert into teams (id, name) values ('moved', 'moved')`)
      await db.store.audit.recordChanges('moved', { source: 'admin', action: 'test', outcome: 'ok' }, [
        { kind: 'member.added', changes: {} },
      ])
      const answers: (number | 'hang')[] = [first]
      const at: number[] = []
      const receiver = await webhookReceiver(t, SECRET, {
        respond: () => {
          at.push(Date.now())
          return answers.shift() ?? 204
        },
      })
      const events = new PgEventStore(db.database.db)
      await events.setTeamWebhook('moved', receiver.url, { newSecret: SECRET, rotateSecret: false })
      const backoffs: number[] = []
      const deliverer = new WebhookDeliverer({
        events,
        signal: new ChangeSignal(),
        secret: SECRET,
        timeoutMs,
        log: quiet,
        pollMs: 50,
        backoffMs: (attempts) => {
          backoffs.push(attempts)
          return 400
        },
      })
      deliverer.start()
      t.teardown(() => deliverer.stop())

      // Done once the endpoint has recorded the delivery (the receiver's 2xx comes a moment before that).
      const recorded = async () => (await events.webhookStates('moved'))[0]?.delivered === 1
      await until(recorded, { timeoutMs: 30_000, everyMs: 50 })
      t.same(
        receiver.requests.map((r) => r.status),
        [first === 'hang' ? 0 : first, 204],
        'posted twice: the failure, then the retry',
      )
      t.equal(receiver.requests[1]!.id, receiver.requests[0]!.id, 'with the same webhook-id')
      t.same(backoffs, [1], 'one failure, one backoff')
      t.ok(at[1]! - at[0]! >= 300, `the retry waited out the backoff (${at[1]! - at[0]!} ms after the first post)`)
      const [state] = await events.webhookStates('moved')
      t.match(state, { pending: 0, delivered: 1, attempts: 0, lastError }, 'the endpoint shows the failure it recovered from')
    })
  }
}
