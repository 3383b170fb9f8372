import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { requiredInCI, throwawayDatabase } from '../helpers/databases.js'
import { eventually } from '../helpers/eventually.js'
import { callJson, startReplica } from '../helpers/replica.js'
import { webhookReceiver, type Delivery } from '../helpers/webhook-receiver.js'

/**
 * Webhooks end to end on PostgreSQL: service processes post the change events to a real
 * HTTP receiver this test runs on 127.0.0.1, which checks every signature with the Standard Webhooks
 * package's own verification code. Two replicas deliver each event once, in order per team; a
 * receiver answering 500 for a while gets every event later, in order; a replica killed while a
 * delivery is in flight loses nothing: another one posts the same event again, same webhook-id.
 */
const adminUrl = process.env.TEST_DATABASE_URL
const needsPostgres = requiredInCI(adminUrl ? false : 'needs TEST_DATABASE_URL: several processes on one PostgreSQL database')
const ADMIN = 'webhook-admin-token-0123456789abcdefghij'
const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

type FeedEvent = { id: string; kind: string; teamId: string; cursor: string }

/** The receiver: answers as `state.mode` says (204, 500, or never). */
async function receiver(t: Test) {
  const state = { mode: 'ok' as 'ok' | 'fail' | 'hang' }
  const hooks = await webhookReceiver(t, SECRET, { respond: () => (state.mode === 'hang' ? 'hang' : state.mode === 'ok' ? 204 : 500) })
  return { ...hooks, state }
}

const eventOf = (delivery: Delivery): FeedEvent => delivery.payload!.data

function startWebhookReplica(databaseUrl: string, webhookUrl: string) {
  return startReplica({
    DATABASE_URL: databaseUrl,
    ADMIN_API_TOKEN: ADMIN,
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET: SECRET,
    // A dead replica's lease runs out after 2 x 1 s + 5 s.
    WEBHOOK_TIMEOUT_MS: '1000',
  })
}

/** A team with SSO and SCIM enabled through `base`; its SCIM Users URL and token. */
async function team(base: string, teamId: string) {
  const { ownerAccountId } = (
    await callJson(base, 'PUT', `/internal/v1/teams/${teamId}`, ADMIN, { name: teamId, owner: { email: `o@${teamId}.io` } })
  ).body as { ownerAccountId: string }
  await callJson(base, 'PUT', `/internal/v1/teams/${teamId}/sso`, ADMIN, { protocol: 'saml' })
  const { endpointId, token } = (await callJson(base, 'POST', `/internal/v1/teams/${teamId}/scim`, ADMIN, undefined, ownerAccountId))
    .body as {
    endpointId: string
    token: string
  }
  return { users: `/scim/v2/${endpointId}/Users`, token }
}

/**
 * Every event of the feed once it has `count` (ids in feed order): the feed hands an event out once
 * every older transaction on the server has ended, a moment after its commit.
 */
async function feed(base: string, count: number): Promise<FeedEvent[]> {
  return eventually(
    () => feedNow(base),
    (events) => events.length >= count,
    { timeoutMs: 30_000, everyMs: 100 },
  )
}

async function feedNow(base: string): Promise<FeedEvent[]> {
  const all: FeedEvent[] = []
  for (let after = ''; ;) {
    const page = (await callJson(base, 'GET', `/internal/v1/events?limit=1000${after ? `&after=${after}` : ''}`, ADMIN)).body as {
      events: FeedEvent[]
      nextCursor: string
    }
    all.push(...page.events)
    if (page.events.length < 1000) return all
    after = page.nextCursor
  }
}

/** The events of `team` in the order given. */
const ofTeam = (events: { teamId: string; id: string }[], teamId: string) => events.filter((e) => e.teamId === teamId).map((e) => e.id)

t.test('webhooks on PostgreSQL', { skip: needsPostgres }, async (t) => {
  const databaseUrl = await throwawayDatabase(t, 'scim_webhooks')
  const hooks = await receiver(t)
  const a = await startWebhookReplica(databaseUrl, hooks.url)
  t.teardown(() => a.child.kill('SIGKILL'))
  const b = await startWebhookReplica(databaseUrl, hooks.url)
  t.teardown(() => b.child.kill('SIGKILL'))

  const teams = { t1: await team(a.url, 't1'), t2: await team(b.url, 't2'), t3: await team(a.url, 't3') }
  const change = async (round: string) => {
    await Promise.all(
      Object.values(teams).flatMap((scim, n) =>
        Array.from({ length: 6 }, (_, i) =>
          callJson(i % 2 ? a.url : b.url, 'POST', scim.users, scim.token, { schemas: [USER], userName: `u${round}-${n}-${i}@x.io` }),
        ),
      ),
    )
  }

  await t.test('two replicas deliver each event once, in order per team, signed', async (t) => {
    await change('a')
    const events = await feed(a.url, 21)
    t.equal(events.length, 21, 'three scim.enabled and 18 member.added')
    const delivered = await eventually(
      () => hooks.delivered(),
      (d) => d.length >= events.length,
      { timeoutMs: 60_000, everyMs: 100 },
    )
    await new Promise((r) => setTimeout(r, 500))
    const ids = hooks.delivered().map((d) => d.id)
    t.equal(ids.length, events.length, 'as many deliveries as events: none twice')
    t.same(new Set(ids), new Set(events.map((e) => e.id)), 'every event')
    for (const teamId of Object.keys(teams)) {
      t.same(ofTeam(hooks.delivered().map(eventOf), teamId), ofTeam(events, teamId), `team ${teamId} in feed order`)
    }
    t.ok(
      hooks.requests.every((r) => r.verified),
      'every signature verifies with the receiver’s own code',
    )
    t.ok(
      delivered.every((d) => d.id === eventOf(d).id),
      'webhook-id is the event id',
    )
    const sample = delivered[0]!
    const verifier = new Webhook(SECRET)
    t.doesNotThrow(() => verifier.verify(sample.body, sample.headers as Record<string, string>), 'a delivery verifies')
    t.throws(
      () => verifier.verify(sample.body.replace('"kind":"', '"kind":"x'), sample.headers as Record<string, string>),
      'a tampered body fails',
    )
    t.notMatch(hooks.requests.map((r) => r.body).join('\n'), teams.t1.token, 'no token in any payload')
  })

  await t.test('a receiver answering 500 for a while gets every event later, in order', async (t) => {
    hooks.state.mode = 'fail'
    const before = hooks.requests.length
    await change('b')
    await eventually(
      () => hooks.requests.length - before,
      (n) => n >= 6,
      { timeoutMs: 30_000, everyMs: 100 },
    )
    const state = (await callJson(a.url, 'GET', '/internal/v1/teams/t1/webhooks', ADMIN)).body as {
      endpoints: { channel: string; failedAttempts: number; lastError: string | null; pending: number }[]
    }
    t.match(state.endpoints, [{ channel: 'service', lastError: 'HTTP 500' }], 'the admin API shows the failures')
    hooks.state.mode = 'ok'
    const events = await feed(a.url, 39)
    await eventually(
      () => new Set(hooks.delivered().map((d) => d.id)).size,
      (n) => n >= events.length,
      { timeoutMs: 60_000, everyMs: 100 },
    )
    const delivered = hooks.delivered().map(eventOf)
    t.same(new Set(delivered.map((e) => e.id)), new Set(events.map((e) => e.id)), 'every event was delivered')
    for (const teamId of Object.keys(teams)) {
      t.same(ofTeam(delivered, teamId), ofTeam(events, teamId), `team ${teamId}: in feed order, each once with a 2xx`)
    }
    const after = (await callJson(a.url, 'GET', '/internal/v1/teams/t1/webhooks', ADMIN)).body as {
      endpoints: { failedAttempts: number; pending: number; delivered: number }[]
    }
    t.match(after.endpoints, [{ failedAttempts: 0, pending: 0 }], 'caught up')
  })

  await t.test('a replica killed mid-delivery loses nothing: another posts the same event again', async (t) => {
    // One replica left, so the hung delivery is surely its own.
    b.child.kill('SIGTERM')
    await new Promise((r) => b.child.once('exit', r))
    hooks.state.mode = 'hang'
    const before = hooks.requests.length
    const res = await callJson(a.url, 'POST', teams.t2.users, teams.t2.token, { schemas: [USER], userName: 'last@x.io' })
    t.equal(res.status, 201)
    const hung = await eventually(
      () => hooks.requests.slice(before),
      (r) => r.length > 0,
      { timeoutMs: 30_000, everyMs: 100 },
    )
    t.equal(hung.length, 1, 'one delivery in flight')
    a.child.kill('SIGKILL')
    await new Promise((r) => a.child.once('exit', r))
    hooks.state.mode = 'ok'
    const c = await startWebhookReplica(databaseUrl, hooks.url)
    t.teardown(() => c.child.kill('SIGKILL'))
    const again = await eventually(
      () => hooks.delivered().filter((d) => d.id === hung[0]!.id),
      (d) => d.length > 0,
      { timeoutMs: 60_000, everyMs: 100 },
    )
    t.equal(again.length, 1, `delivered again with the same webhook-id ${hung[0]!.id}`)
    t.equal(eventOf(again[0]!).kind, 'member.added')
    const events = await feed(c.url, 40)
    t.same(new Set(hooks.delivered().map((d) => d.id)), new Set(events.map((e) => e.id)), 'nothing lost')
    const metrics = await (await fetch(`${c.url}/metrics`)).text()
    t.match(metrics, /scim_webhook_deliveries_total\{channel="service",outcome="delivered"\} [1-9]/, 'deliveries are counted')
    t.match(metrics, /scim_webhook_delivery_lag_seconds_count\{channel="service"\} [1-9]/, 'and their lag measured')
    t.match(metrics, /scim_webhook_oldest_undelivered_seconds 0\n/, 'nothing is waiting')
    // A long poll in flight does not hold the shutdown: the process exits cleanly at once.
    const polling = fetch(`${c.url}/internal/v1/events?after=${events.at(-1)!.cursor}&wait=30`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    }).then(
      (r) => r.status,
      () => 0,
    )
    await new Promise((r) => setTimeout(r, 300))
    c.child.kill('SIGTERM')
    const code = await new Promise((r) => c.child.once('exit', r))
    t.equal(code, 0, 'SIGTERM with a long poll in flight: a clean exit')
    t.equal(await polling, 200, 'the long poll was answered (empty) before the process went')
  })
})
