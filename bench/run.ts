import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { generateToken, hashToken } from '../src/auth/tokens.js'
import { openDatabase } from '../src/store/pg/database.js'
import { PgTeamStore } from '../src/store/pg/pg-team-store.js'
import { seedTeam } from './seed.js'

/**
 * `npm run bench`: the list endpoint at scale, on PostgreSQL, as ratios against a baseline measured
 * in the same run (a bare Fastify + node-postgres route doing one indexed SELECT). Cases run in
 * interleaved rounds so that the machine's noise hits every case alike; the table shows medians.
 *
 * BENCH_USERS (default 100000; the issue's figure is 1000000), BENCH_ROUNDS (3), BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (32), BENCH_DATABASE_URL (default: a throwaway cluster from scripts/pg-cluster.sh).
 */
const env = process.env
const USERS = Number(env.BENCH_USERS ?? 100_000)
const SMALL = 1_000
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32)

let cluster: string | undefined
let adminUrl = env.BENCH_DATABASE_URL
if (!adminUrl) {
  cluster = mkdtempSync(join(tmpdir(), 'scim-bench-'))
  execFileSync('chmod', ['755', cluster])
  const port = execFileSync('node', ['scripts/free-port.mjs']).toString().trim()
  adminUrl = execFileSync('bash', ['scripts/pg-cluster.sh', 'start', join(cluster, 'pg'), port]).toString().trim()
}
const dbName = `scim_bench_${Date.now()}`
const admin = new pg.Client({ connectionString: adminUrl })
await admin.connect()
await admin.query(`create database ${dbName}`)
const url = new URL(adminUrl)
url.pathname = `/${dbName}`

const database = await openDatabase({ url: url.toString(), poolSize: 20 })
await database.migrate()
const store = new PgTeamStore(database.db)
const started = Date.now()
process.stdout.write(`seeding ${USERS} + ${SMALL} users... `)
// Seeding a million rows takes longer than the service's statement timeout: its own connection, none.
const seeder = await openDatabase({ url: url.toString(), poolSize: 1, statementTimeoutMs: 0 })
await seedTeam(seeder.db, 'big', USERS)
await seedTeam(seeder.db, 'small', SMALL)
await seeder.close()
process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`)

// SCIM enabled on both teams, with tokens, straight through the store.
const tokens: Record<string, { token: string; endpointId: string }> = {}
for (const team of ['big', 'small']) {
  const token = generateToken('cpscim_')
  await store.setSso(team, 'saml')
  await store.insertConnection(team, `bench${team}`, hashToken(token))
  tokens[team] = { token, endpointId: `bench${team}` }
}

const app = await buildApp({ store, ping: () => database.ping(), adminTokenHash: hashToken(generateToken('x')), publicBaseUrl: 'http://127.0.0.1' })
await app.listen({ host: '127.0.0.1', port: 0 })
const serviceUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

// The baseline: what one indexed SELECT rendered as JSON costs through Fastify and node-postgres.
const pool = new pg.Pool({ connectionString: url.toString(), max: 20 })
const baseline = Fastify()
baseline.get('/baseline', async (request) => {
  const { userName } = request.query as { userName: string }
  const { rows } = await pool.query('select id, doc from scim_users where team_id = $1 and lower(user_name collate "C") = lower($2 collate "C")', ['big', userName])
  return { totalResults: rows.length, Resources: rows }
})
await baseline.listen({ host: '127.0.0.1', port: 0 })
const baselineUrl = `http://127.0.0.1:${(baseline.server.address() as { port: number }).port}`

const sample = (n: number) => Array.from({ length: 200 }, (_, i) => 1 + Math.floor(((i * 7919) % 200) * (n / 200)))
const q = (filter: string) => `filter=${encodeURIComponent(filter)}`
const scimPath = (team: string, query: string) => `/scim/v2/${tokens[team]!.endpointId}/Users?${query}`

interface Case {
  name: string
  url: string
  team?: string
  paths: string[]
  connections?: number
}
const cases: Case[] = [
  { name: 'baseline: Fastify + pg, one indexed SELECT', url: baselineUrl, paths: sample(USERS).map((n) => `/baseline?userName=user${n}%40big.example`) },
  { name: 'userName eq', url: serviceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(`userName eq "user${n}@big.example"`))) },
  { name: 'externalId eq', url: serviceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(`externalId eq "ext-${n}"`))) },
  { name: 'emails[value eq]', url: serviceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(`emails[value eq "home${n}@mail.example"]`))) },
  { name: `userName eq at ${SMALL} users`, url: serviceUrl, team: 'small', paths: sample(SMALL).map((n) => scimPath('small', q(`userName eq "user${n}@small.example"`))) },
  { name: 'page of 100, unfiltered', url: serviceUrl, team: 'big', paths: [scimPath('big', 'startIndex=1&count=100')] },
  { name: `page of 100, unfiltered, at ${SMALL} users`, url: serviceUrl, team: 'small', paths: [scimPath('small', 'startIndex=1&count=100')] },
  { name: 'page of 100, active eq true', url: serviceUrl, team: 'big', paths: [scimPath('big', `startIndex=1&count=100&${q('active eq true')}`)] },
  { name: 'Okta connection test (count=2), 1 connection', url: serviceUrl, team: 'big', paths: [scimPath('big', 'startIndex=1&count=2')], connections: 1 },
  { name: 'userName eq, 1 connection', url: serviceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(`userName eq "user${n}@big.example"`))), connections: 1 },
  { name: `page of 100 at startIndex ${Math.floor(USERS * 0.9) + 1}`, url: serviceUrl, team: 'big', paths: [scimPath('big', `startIndex=${Math.floor(USERS * 0.9) + 1}&count=100`)], connections: 1 },
  { name: 'co, 3 characters, name.familyName, 1 connection', url: serviceUrl, team: 'big', paths: [scimPath('big', q('name.familyName co "ith"'))], connections: 1 },
]

interface Result {
  requests: number
  /** Milliseconds; autocannon's percentiles are whole milliseconds, the mean is not. */
  mean: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

function load(c: Case): Promise<Result> {
  const job = {
    url: c.url,
    paths: c.paths,
    headers: c.team ? { authorization: `Bearer ${tokens[c.team]!.token}` } : {},
    connections: c.connections ?? CONNECTIONS,
    seconds: SECONDS,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += String(chunk)))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`load exited ${code}`))))
  })
}

// Entra's large-group limit: one PATCH adding (then removing) 10,000 members must finish well under 60 s.
const memberIds = (await pool.query<{ id: string }>('select id from scim_users where team_id = $1 order by created_at limit 10000', ['big'])).rows.map((r) => r.id)
const scimHeaders = { authorization: `Bearer ${tokens.big!.token}`, 'content-type': 'application/scim+json' }
const groupsUrl = `${serviceUrl}/scim/v2/${tokens.big!.endpointId}/Groups`
const group = (await (await fetch(groupsUrl, { method: 'POST', headers: scimHeaders, body: JSON.stringify({ displayName: 'Everyone' }) })).json()) as { id: string }
const timedPatch = async (op: 'add' | 'remove') => {
  const began = performance.now()
  const res = await fetch(`${groupsUrl}/${group.id}`, {
    method: 'PATCH',
    headers: scimHeaders,
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op, path: 'members', value: memberIds.map((value) => ({ value })) }] }),
  })
  return { status: res.status, ms: performance.now() - began }
}
const addMembers = await timedPatch('add')
const removeMembers = await timedPatch('remove')

const results = new Map<string, Result[]>()
for (let round = 1; round <= ROUNDS; round++) {
  for (const c of cases) {
    const result = await load(c)
    results.set(c.name, [...(results.get(c.name) ?? []), result])
    process.stdout.write(`round ${round}/${ROUNDS} ${c.name}: ${result.requests.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${result.non2xx ? `, ${result.non2xx} non-2xx` : ''}\n`)
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const summary = new Map(
  [...results].map(([name, list]) => [
    name,
    {
      requests: median(list.map((r) => r.requests)),
      mean: median(list.map((r) => r.mean)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      non2xx: list.reduce((s, r) => s + r.non2xx + r.errors, 0),
    },
  ]),
)
const pairs: [string, string, string][] = [
  ['userName eq', cases[0]!.name, 'req/s vs baseline'],
  ['externalId eq', cases[0]!.name, 'req/s vs baseline'],
  ['emails[value eq]', cases[0]!.name, 'req/s vs baseline'],
  ['page of 100, unfiltered', `page of 100, unfiltered, at ${SMALL} users`, `req/s vs ${SMALL} users`],
  ['Okta connection test (count=2), 1 connection', 'userName eq, 1 connection', 'latency vs eq lookup (1 connection)'],
]
process.stdout.write(`\n${USERS} users (+${SMALL}), ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections unless stated; medians\n\n`)
process.stdout.write('| case | req/s | mean ms | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n')
for (const [name, r] of summary) {
  process.stdout.write(`| ${name} | ${r.requests.toFixed(0)} | ${r.mean.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.non2xx} |\n`)
}
process.stdout.write('\n| ratio | value |\n|---|---|\n')
for (const [a, b, what] of pairs) {
  const x = summary.get(a)!
  const y = summary.get(b)!
  // One connection: the time per request is 1 / req/s (autocannon's latencies are whole milliseconds).
  const value = what.startsWith('latency') ? y.requests / x.requests : x.requests / y.requests
  process.stdout.write(`| ${a}: ${what} | ${value.toFixed(2)}x |\n`)
}

process.stdout.write(
  `\n| one PATCH of ${memberIds.length} group members | status | ms |\n|---|---|---|\n| add | ${addMembers.status} | ${addMembers.ms.toFixed(0)} |\n| remove (value list) | ${removeMembers.status} | ${removeMembers.ms.toFixed(0)} |\n`,
)

await app.close()
await baseline.close()
await pool.end()
await database.close()
await admin.query(`drop database ${dbName} with (force)`)
await admin.end()
if (cluster) {
  execFileSync('bash', ['scripts/pg-cluster.sh', 'stop', join(cluster, 'pg')])
  rmSync(cluster, { recursive: true, force: true })
}
