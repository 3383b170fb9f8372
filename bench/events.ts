import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { hashToken } from '../src/auth/tokens.js'
import { createLogger } from '../src/http/logger.js'
import { createMetrics } from '../src/http/metrics.js'
import { openDatabase } from '../src/store/pg/database.js'
import { listenForChanges } from '../src/store/pg/pg-change-listener.js'
import { PgStores } from '../src/store/pg/pg-stores.js'
import type { AuditLog } from '../src/store/audit-log.js'
import type { Stores } from '../src/store/stores.js'
import { benchDatabaseUrl, cleanUp, cleanups } from './throwaway.js'

/**
 * The change feed's part of `npm run bench`, on PostgreSQL:
 *
 * 1. What the outbox costs a create: POST /Users through the service with its change events, against
 *    the same service whose store writes the audit entry alone (recordChanges without the events),
 *    in interleaved rounds of BENCH_EVENT_CREATES creates (default 2000) over 16 connections, load
 *    from a separate process (bench/load.ts). Ratio: creates/s with events over without.
 * 2. The feed's lag at BENCH_EVENT_RATE changes a second (default 1000) for BENCH_EVENT_SECONDS (10):
 *    this process commits changes at that pace on its own connection pool, as another replica would
 *    (NOTIFY after each commit), across 20 teams; a service process (src/server.ts, WEBHOOK_URL
 *    pointing here) is followed by a long poll (GET /internal/v1/events?wait=30) and delivers its
 *    webhooks to a receiver in this process. Lag is receipt minus commit on this process's clock.
 *
 * BENCH_DATABASE_URL: the PostgreSQL server to use (a database is created and dropped); unset, a
 * throwaway cluster (scripts/pg-cluster.sh, fsync off, like the rest of the bench).
 */
const env = process.env
const CREATES = Number(env.BENCH_EVENT_CREATES ?? 2000)
const ROUNDS = Number(env.BENCH_EVENT_ROUNDS ?? 3)
const RATE = Number(env.BENCH_EVENT_RATE ?? 1000)
const SECONDS = Number(env.BENCH_EVENT_SECONDS ?? 10)
const ADMIN = `cpadmin_${randomBytes(24).toString('hex')}`
const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** One load run in its own process (bench/load.ts): `amount` creates, each with its own userName. */
function loadRun(url: string, token: string, label: string, amount: number): Promise<{ total: number; elapsedMs: number; non2xx: number }> {
  const file = join(tmpdir(), `scim-bench-events-${process.pid}.json`)
  const bodies = Array.from({ length: amount }, (_, i) =>
    JSON.stringify({ schemas: [USER], userName: `${label}-${i}@bench.example`, displayName: `User ${i}` }),
  )
  writeFileSync(
    file,
    JSON.stringify({
      url,
      paths: bodies.map(() => `${new URL(url).pathname}/Users`),
      bodies,
      method: 'POST',
      amount,
      connections: 16,
      seconds: 0,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    }),
  )
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', `@${file}`], { stdio: ['ignore', 'pipe', 'inherit'] })
    child.on('exit', () => rmSync(file, { force: true }))
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`load run exited ${code}`))))
  })
}

/** The create cost: the service with and without the outbox, same database, interleaved rounds. */
async function createCost(url: string): Promise<{ withEvents: number; without: number }> {
  const database = await openDatabase({ url, poolSize: 20 })
  cleanups.push(() => database.close())
  await database.migrate()
  const store = new PgStores(database.db)
  // The same store, but a write's change events are dropped: its audit entry is written as before.
  const withoutEvents = new Proxy(store, {
    get: (target, property) =>
      property === 'transaction'
        ? <T>(work: (tx: Stores) => Promise<T>) =>
            target.transaction((tx) => {
              const audit = Object.create(tx.audit) as AuditLog
              audit.recordChanges = (teamId, entry) => tx.audit.appendEvent(teamId, entry)
              return work({ ...tx, audit })
            })
        : (Reflect.get(target, property, target) as unknown),
  }) as Stores
  const rates: { withEvents: number[]; without: number[] } = { withEvents: [], without: [] }
  const bases: string[] = []
  const endpoints: string[] = []
  // As deployed: one log line per request (to /dev/null), metrics on.
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }))
  for (const [_variant, variantStore] of [
    ['withEvents', store],
    ['without', withoutEvents],
  ] as const) {
    const app = await buildApp({
      store: variantStore,
      ping: () => database.ping(),
      adminTokenHash: hashToken(ADMIN),
      publicBaseUrl: 'http://127.0.0.1',
      logger,
      metrics: { metrics: createMetrics() },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    cleanups.push(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    bases.push(base)
  }
  const tokens: string[] = []
  for (const [i, base] of bases.entries()) {
    const call = (method: string, path: string, body?: unknown, actor?: string) =>
      fetch(`${base}/internal/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(actor ? { 'x-actor-id': actor } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then((r) => r.json() as Promise<Record<string, string>>)
    const { ownerAccountId } = await call('PUT', `/teams/create${i}`, { name: 'Bench', owner: { email: `o${i}@bench.example` } })
    await call('PUT', `/teams/create${i}/sso`, { protocol: 'saml' })
    const enabled = await call('POST', `/teams/create${i}/scim`, undefined, ownerAccountId)
    tokens.push(enabled.token!)
    endpoints.push(`${base}/scim/v2/${enabled.endpointId}`)
  }
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms both up, uncounted; then each round starts with the other variant.
    const order = round % 2 === 0 ? [0, 1] : [1, 0]
    for (const v of order) {
      const amount = round === 0 ? Math.max(64, Math.ceil(CREATES / 10)) : CREATES
      const result = await loadRun(endpoints[v]!, tokens[v]!, `r${round}v${v}`, amount)
      if (result.non2xx > 0) throw new Error(`${result.non2xx} creates failed: ${JSON.stringify(result)}`)
      if (round > 0) (v === 0 ? rates.withEvents : rates.without).push((result.total / result.elapsedMs) * 1000)
    }
  }
  const median = (values: number[]) => percentile(values, 50)
  return { withEvents: median(rates.withEvents), without: median(rates.without) }
}

/** A service process on `url`, with WEBHOOK_URL to `hook`. */
async function serviceProcess(url: string, hook: string): Promise<{ base: string; child: ChildProcess }> {
  const port = execFileSync('node', ['scripts/free-port.mjs']).toString().trim()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: env.PATH ?? '',
      PORT: port,
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      ADMIN_API_TOKEN: ADMIN,
      LOG_LEVEL: 'warn',
      WEBHOOK_URL: hook,
      WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  let stopping = false
  cleanups.push(() => {
    stopping = true
    child.kill('SIGKILL')
  })
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`the service process exited early: ${code ?? signal}\n`)
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 240; i++) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { base, child }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error('the service did not become ready')
}

/** Milliseconds on the machine's clock, sub-millisecond, comparable across processes. */
const now = () => performance.timeOrigin + performance.now()

/** The webhook receiver's process: answers 204 and prints each delivery's change number and arrival time. */
const RECEIVER = `
const server = require('node:http').createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const at = performance.timeOrigin + performance.now()
    const n = JSON.parse(Buffer.concat(chunks).toString('utf8')).data.changes.n
    if (n !== undefined) process.stdout.write(n + ' ' + at + '\\n')
    response.writeHead(204).end()
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'))
process.stdout.on('error', () => process.exit(0))
`

/** Commit-to-receipt lag (ms) of the long poll and of the webhooks at RATE changes a second. */
async function feedLag(url: string): Promise<{ polled: number[]; hooked: number[]; rate: number; missing: number }> {
  // Change n: when its commit returned here, when the long poll and the webhook brought it.
  const committed = new Map<number, number>()
  const polledAt = new Map<number, number>()
  const hookedAt = new Map<number, number>()
  // The receiver runs in a process of its own, so that this one's writes do not slow its answers: it
  // prints "<n> <time>" per delivery (times on the machine's clock, as the commits' below).
  const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(() => receiver.kill('SIGKILL'))
  let buffered = ''
  const port = await new Promise<number>((resolve) => {
    receiver.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [first, second] = line.split(' ')
        if (first === 'port') resolve(Number(second))
        else hookedAt.set(Number(first), Number(second))
      }
    })
  })
  const service = await serviceProcess(url, `http://127.0.0.1:${port}/hook`)

  // The writer: another replica, as far as the service can tell (its own pool, NOTIFY after each commit).
  const database = await openDatabase({ url, poolSize: 20 })
  cleanups.push(() => database.close())
  const listener = listenForChanges(url, () => undefined, { warn: () => undefined })
  cleanups.push(() => listener.close())
  const store = new PgStores(database.db, { onChangesCommitted: () => listener.announce() })
  const teams = Array.from({ length: 20 }, (_, i) => `lag${i}`)
  for (const team of teams) await store.accounts.upsertTeam(team, team)
  // The service's deliverer makes the teams' webhook endpoints within a second; the clock starts after.
  await new Promise((r) => setTimeout(r, 2000))

  const auth = { headers: { authorization: `Bearer ${ADMIN}` } }
  let cursor = ((await (await fetch(`${service.base}/internal/v1/events`, auth)).json()) as { nextCursor: string }).nextCursor
  let following = true
  const follower = (async () => {
    while (following) {
      // A follower retries what fails (a kept-alive connection the server closed meanwhile, say) with its cursor.
      const page = (await fetch(`${service.base}/internal/v1/events?after=${cursor}&wait=5&limit=1000`, auth)
        .then((r) => r.json())
        .catch(() => ({ events: [], nextCursor: cursor }))) as { events: { changes: { n?: number } }[]; nextCursor: string }
      const at = now()
      for (const event of page.events) if (event.changes.n !== undefined) polledAt.set(event.changes.n, at)
      cursor = page.nextCursor
    }
  })()

  const total = RATE * SECONDS
  const started = performance.now()
  // At most 20 commits in flight (the pool's size): a machine slower than RATE makes the writer fall behind
  // (its rate is reported) instead of queueing connections past the pool's connect timeout.
  const writes = new Set<Promise<void>>()
  for (let n = 0; n < total; n++) {
    const wait = started + (n * 1000) / RATE - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    if (writes.size >= 20) await Promise.race(writes)
    const write: Promise<void> = store
      .transaction((tx) =>
        tx.audit.recordChanges(teams[n % teams.length]!, { source: 'scim', action: 'user.patch', outcome: 'updated' }, [
          { kind: 'member.profile_changed', changes: { n } },
        ]),
      )
      .then(() => void committed.set(n, now()))
      .finally(() => writes.delete(write))
    writes.add(write)
  }
  await Promise.all(writes)
  const rate = (total / (performance.now() - started)) * 1000
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && (polledAt.size < total || hookedAt.size < total);)
    await new Promise((r) => setTimeout(r, 200))
  following = false
  await follower
  const lags = (received: Map<number, number>) => [...received].map(([n, at]) => at - committed.get(n)!)
  return { polled: lags(polledAt), hooked: lags(hookedAt), rate, missing: total * 2 - polledAt.size - hookedAt.size }
}

if (env.BENCH_DATABASE === 'pglite') {
  // LISTEN/NOTIFY, replicas and webhook leases are PostgreSQL's; on PGlite the feed is this process's own.
  process.stdout.write('change events bench: PostgreSQL only (BENCH_DATABASE=pglite), skipped\n')
  process.exit(0)
}

try {
  const url = await benchDatabaseUrl('scim_bench_events')
  process.stdout.write(`change events bench on PostgreSQL (${ROUNDS} rounds of ${CREATES} creates; ${RATE} changes/s for ${SECONDS} s)\n`)
  const cost = await createCost(url)
  process.stdout.write(
    `creates/s with change events: ${cost.withEvents.toFixed(0)}, without: ${cost.without.toFixed(0)}, ratio ${(cost.withEvents / cost.without).toFixed(2)}x\n`,
  )
  const lag = await feedLag(url)
  const line = (name: string, values: number[]) =>
    `| ${name} | ${values.length} | ${percentile(values, 50).toFixed(0)} | ${percentile(values, 95).toFixed(0)} | ${percentile(values, 99).toFixed(0)} | ${Math.max(...values).toFixed(0)} |\n`
  process.stdout.write(`\nfeed lag at ${lag.rate.toFixed(0)} changes/s (commit to receipt, ms)\n\n`)
  process.stdout.write('| follower | events | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|\n')
  process.stdout.write(line('long poll (wait=5)', lag.polled) + line('webhook (WEBHOOK_URL)', lag.hooked))
  if (lag.missing > 0) process.stdout.write(`${lag.missing} receipts missing after 2 minutes\n`)
} finally {
  await cleanUp()
  // Whatever a library left open (a pool's timer, a socket), the bench is over.
  process.exit(process.exitCode ?? 0)
}
