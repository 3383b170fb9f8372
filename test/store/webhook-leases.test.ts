/**
 * Webhook leases against a slow receiver, on PGlite and PostgreSQL: two deliverers (two replicas'
 * worth) share one endpoint whose receiver takes longer per batch than a lease lasts. Each renews
 * its lease as it goes, so the other never claims the endpoint mid-delivery: every event arrives
 * once, in feed order. (Before leases were renewed within a batch, the second deliverer claimed
 * the endpoint once the first one's lease ran out and posted the same events again beside it.)
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { WebhookDeliverer } from '../../src/events/webhook-deliverer.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { testDatabases } from '../helpers/databases.js'

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

    const verifier = new Webhook(SECRET)
    const received: number[] = []
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString()
        const payload = verifier.verify(body, request.headers as Record<string, string>) as { data: { changes: { n: number } } }
        received.push(payload.data.changes.n)
        // 120 ms an event: 50 events (one batch) take 6 s, past the 5.6 s lease of a 300 ms timeout.
        setTimeout(() => response.writeHead(204).end(), 120)
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`

    const events = new PgEventStore(db.database.db)
    await events.setTeamWebhook('slow', url)
    const replicas = [0, 1].map(
      () =>
        new WebhookDeliverer({
          events: new PgEventStore(db.database.db),
          signal: new ChangeSignal(),
          secret: SECRET,
          timeoutMs: 300,
          log: quiet,
          pollMs: 100,
        }),
    )
    for (const replica of replicas) replica.start()
    t.teardown(() => Promise.all(replicas.map((replica) => replica.stop())))

    // Bounded: 60 events at 120 ms are 7.2 s; a generous limit for a busy machine.
    for (const deadline = Date.now() + 60_000; received.length < EVENTS && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    // A moment more: a second deliverer posting the same events again would show here.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    t.same(
      received,
      Array.from({ length: EVENTS }, (_, n) => n),
      'every event once, in feed order, though a batch outlasts the lease',
    )
    const [state] = await events.webhookStates('slow')
    t.match(state, { pending: 0 }, 'and the endpoint has nothing left to deliver')
  })
}
