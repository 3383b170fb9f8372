import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import Fastify from 'fastify'
import pg from 'pg'
import { pino } from 'pino'
import { buildApp } from '../src/app.js'
import { SERVICE_LIMITS } from '../src/scim/limits.js'
import { generateToken, hashToken } from '../src/auth/tokens.js'
import { createLogger } from '../src/http/logger.js'
import { createMetrics } from '../src/http/metrics.js'
import { listQuery } from '../src/http/routes/scim/scim-list.js'
import { userView } from '../src/scim/core/user-resource.js'
import { encodeCursor } from '../src/scim/protocol/cursor.js'
import { openDatabase, type Database } from '../src/store/pg/database.js'
import { PgStores } from '../src/store/pg/pg-stores.js'
import { seedTeam } from './seed.js'
import { benchDatabaseUrl, cleanUp, cleanups, median } from './throwaway.js'
import { runWriteBench, seedManyTeams, writeCaseNames } from './writes.js'

/**
 * `npm run bench`: the list endpoint at scale, as ratios against a baseline measured in the same run
 * (a bare Fastify route doing one indexed SELECT on the same database). Cases run in interleaved
 * rounds so that the machine's noise hits every case alike; the table shows medians.
 *
 * BENCH_USERS (default 100000; the issue's figure is 1000000), BENCH_ROUNDS (3), BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (32), BENCH_DATABASE (postgres, or pglite: the embedded database in a temporary
 * directory, removed afterwards), BENCH_DATABASE_URL (PostgreSQL; default: a throwaway cluster from
 * scripts/pg-cluster.sh), BENCH_CASES (comma-separated substrings of case names: only those cases
 * run, and the baseline; also the import walks below), BENCH_GROUP_PATCH=0 (skip the 10,000-member group PATCH).
 * Teams: big (BENCH_USERS) and small (1000), one user in ten deactivated; half and smallhalf, one in
 * two, seeded only when a selected case reads them.
 * The service runs as server.ts builds it (log line, metrics, rate limit); one case runs a second
 * instance without those three, to show what they cost.
 */
const env = process.env
const USERS = Number(env.BENCH_USERS ?? 100_000)
const SMALL = 1_000
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32)
const DATABASE = (env.BENCH_DATABASE ?? 'postgres').toLowerCase()
const CASE_FILTER = (env.BENCH_CASES ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter((s) => s !== '')
const GROUP_PATCH = env.BENCH_GROUP_PATCH !== '0'
/** Okta's import timed as a client makes it (consecutive pages on one connection), by startIndex and by cursor. */
const DEEP_PAGES = 200
const DEEP_START = Math.floor(USERS * 0.9) + 1
const WALKS = [
  { name: 'import of the big team by index pages of 100', index: true, from: 1, pages: Infinity },
  { name: 'import of the big team by cursor pages of 100', index: false, from: 1, pages: Infinity },
  { name: `${DEEP_PAGES} index pages of 100 from startIndex ${DEEP_START}`, index: true, from: DEEP_START, pages: DEEP_PAGES },
  { name: `${DEEP_PAGES} cursor pages of 100 from position ${DEEP_START}`, index: false, from: DEEP_START, pages: DEEP_PAGES },
]
const BARE = ', service without its log line, metrics and rate limit'
const BARE_CASE = `userName eq${BARE}`
/** The lookups IdPs make before every write, on seed.ts's users. */
const EQ_LOOKUPS = [
  { name: 'userName eq', filter: (n: number) => `userName eq "user${n}@big.example"` },
  { name: 'externalId eq', filter: (n: number) => `externalId eq "ext-${n}"` },
  { name: 'emails[value eq]', filter: (n: number) => `emails[value eq "home${n}@mail.example"]` },
]
/** A team of BENCH_USERS and one of SMALL users with one user in two deactivated (big and small: one in ten). */
const HALF_TEAM = 'half'
const SMALL_HALF_TEAM = 'smallhalf'
const ACTIVE_LISTS = [false, true].flatMap((half) =>
  [true, false].flatMap((value) => {
    const share = half ? ', 50% deactivated' : ''
    const name = `page of 100, active eq ${value}${share}`
    return [
      { name, team: half ? HALF_TEAM : 'big', value, small: false },
      { name: `${name}, at ${SMALL} users`, team: half ? SMALL_HALF_TEAM : 'small', value, small: true },
    ]
  }),
)
if (DATABASE !== 'postgres' && DATABASE !== 'pglite')
  throw new Error(`BENCH_DATABASE must be "postgres" or "pglite", not "${env.BENCH_DATABASE}"`)

/** The database under test: the service's handle, plain SQL for the baseline and the bench's own look-ups. */
interface Target {
  database: Database
  query: <R>(text: string, params: unknown[]) => Promise<R[]>
  /** For the table header, e.g. "PostgreSQL 15.14". */
  label: string
  baselineName: string
  /** Seeds more teams after the start (only those the selected cases use), on a connection without a statement timeout. */
  seedMore: (seed: (db: Database['db']) => Promise<void>) => Promise<void>
}

async function seed(database: Database): Promise<void> {
  const started = Date.now()
  process.stdout.write(`seeding ${USERS} + ${SMALL} users... `)
  await seedTeam(database.db, 'big', USERS)
  await seedTeam(database.db, 'small', SMALL)
  // Accounts spread over many teams (bench/writes.ts): BENCH_USERS / 1000 teams (10 at least) of 100 members.
  await seedManyTeams(database.db, Math.max(10, Math.floor(USERS / 1000)), 100)
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`)
}

async function openPostgresTarget(): Promise<Target> {
  const url = new URL(await benchDatabaseUrl('scim_bench'))

  const database = await openDatabase({ url: url.toString(), poolSize: 20 })
  cleanups.push(() => database.close())
  await database.migrate()
  // Seeding a million rows takes longer than the service's statement timeout: its own connection, none.
  const openSeeder = () => openDatabase({ url: url.toString(), poolSize: 1, statementTimeoutMs: 0 })
  const seeder = await openSeeder()
  await seed(seeder)
  await seeder.close()

  const pool = new pg.Pool({ connectionString: url.toString(), max: 20 })
  // pool.end() resolves before its connections have closed; the database drop at the end then
  // terminates them, which a pool reports as an 'error' (the service's pool has its own listener).
  pool.on('error', () => undefined)
  cleanups.push(() => pool.end())
  const query = async <R>(text: string, params: unknown[]) => (await pool.query(text, params)).rows as R[]
  const [version] = await query<{ server_version: string }>('show server_version', [])
  return {
    database,
    query,
    label: `PostgreSQL ${version!.server_version.split(' ')[0]}`,
    baselineName: 'baseline: Fastify + pg, one indexed SELECT',
    seedMore: async (more) => {
      const extra = await openSeeder()
      try {
        await more(extra.db)
      } finally {
        await extra.close()
      }
    },
  }
}

async function openPgliteTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'scim-bench-pglite-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  // As the service opens it (src/server.ts without DATABASE_URL), in a data directory.
  const database = await openDatabase({ dataDir: join(dir, 'data') })
  cleanups.push(() => database.close())
  // The same single PGlite instance the service uses, for the baseline (drizzle's $client).
  const client = (database.db as unknown as { $client?: unknown }).$client
  if (!(client instanceof PGlite)) throw new Error('openDatabase did not give a drizzle handle over a PGlite instance')
  await database.migrate()
  await seed(database)
  const query = async <R>(text: string, params: unknown[]) => (await client.query<R>(text, params)).rows
  const [version] = await query<{ server_version: string }>('show server_version', [])
  return {
    database,
    query,
    label: `PGlite (PostgreSQL ${version!.server_version.split(' ')[0]} in WebAssembly, in-process)`,
    baselineName: 'baseline: Fastify + PGlite, one indexed SELECT',
    seedMore: (more) => more(database.db),
  }
}

interface Case {
  name: string
  url: string
  team?: string
  paths: string[]
  connections?: number
  /** An answer besides 2xx that is accepted, not an error (e.g. 400 tooMany); checked once before the rounds. */
  accept?: { status: number; scimType: string }
}

interface Result {
  requests: number
  /** Milliseconds; autocannon's percentiles are whole milliseconds, the mean is not. */
  mean: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** Responses per status code. */
  statuses: Record<string, number>
}

/** Responses neither 2xx nor accepted by the case, plus connection errors and timeouts. */
const unexpected = (c: Case, r: { statuses: Record<string, number>; errors: number }) =>
  r.errors +
  Object.entries(r.statuses).reduce((n, [code, count]) => (/^2/.test(code) || c.accept?.status === Number(code) ? n : n + count), 0)

const statusText = (r: { statuses: Record<string, number>; errors: number }) =>
  [
    ...Object.entries(r.statuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, count]) => `${code}: ${count}`),
    ...(r.errors ? [`errors: ${r.errors}`] : []),
  ].join(', ') || 'none'

async function main(): Promise<void> {
  const target = DATABASE === 'pglite' ? await openPgliteTarget() : await openPostgresTarget()
  const { database, query } = target
  const store = new PgStores(database.db)

  // SCIM enabled on each team, with tokens, straight through the store.
  const tokens: Record<string, { token: string; endpointId: string }> = {}
  const enable = async (team: string) => {
    const token = generateToken('cpscim_')
    await store.accounts.setSso(team, 'saml')
    await store.connections.insertConnection(team, `bench${team}`, hashToken(token))
    tokens[team] = { token, endpointId: `bench${team}` }
  }
  for (const team of ['big', 'small']) await enable(team)

  // The service as server.ts builds it: a log line per request (its logger, writing to /dev/null
  // instead of standard output), metrics, and the per-token rate limit (set high enough never to
  // refuse here).
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }))
  // One key for every instance, and for the deep cursor the bench makes below.
  const cursorKey = randomBytes(32)
  const serve = async (hooks: Partial<Parameters<typeof buildApp>[0]>) => {
    const app = await buildApp({
      store,
      ping: () => database.ping(),
      adminTokenHash: hashToken(generateToken('x')),
      publicBaseUrl: 'http://127.0.0.1',
      cursorKey,
      ...hooks,
    })
    cleanups.push(() => app.close())
    await app.listen({ host: '127.0.0.1', port: 0 })
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  }
  const serviceUrl = await serve({
    logger,
    metrics: { metrics: createMetrics(database.poolStats ? () => database.poolStats!() : undefined) },
    rateLimit: { perMinute: 1_000_000_000 },
  })
  // The same service without the three, in the same rounds: what they cost.
  const bareServiceUrl = await serve({})

  // The baseline: what one indexed SELECT rendered as JSON costs through Fastify and the same database.
  const baseline = Fastify()
  cleanups.push(() => baseline.close())
  baseline.get('/baseline', async (request) => {
    const { userName } = request.query as { userName: string }
    const rows = await query('select id, doc from scim_users where team_id = $1 and lower(user_name collate "C") = lower($2 collate "C")', [
      'big',
      userName,
    ])
    return { totalResults: rows.length, Resources: rows }
  })
  await baseline.listen({ host: '127.0.0.1', port: 0 })
  const baselineUrl = `http://127.0.0.1:${(baseline.server.address() as { port: number }).port}`

  const sample = (n: number) => Array.from({ length: 200 }, (_, i) => 1 + Math.floor(((i * 7919) % 200) * (n / 200)))
  const q = (filter: string) => `filter=${encodeURIComponent(filter)}`
  // The endpoint is `bench{team}` (enable above), also for the teams seeded once the cases are chosen.
  const scimPath = (team: string, query: string) => `/scim/v2/bench${team}/Users?${query}`

  // RFC 9865 cursor paging: the first page, and one 90% of the way through the id order.
  const CURSOR_PAGE = 'count=100'
  const CURSOR_POSITION = Math.floor(USERS * 0.9)
  const firstCursorCase = 'cursor page of 100, first page'
  const deepCursorCase = `cursor page of 100 at position ${CURSOR_POSITION}`

  const cases: Case[] = [
    { name: target.baselineName, url: baselineUrl, paths: sample(USERS).map((n) => `/baseline?userName=user${n}%40big.example`) },
    // Each eq lookup through the service as deployed, and through the same service without its log
    // line, metrics and rate limit: the issue's "auth, parse, query, render" alone.
    ...EQ_LOOKUPS.flatMap(({ name, filter }) => [
      { name, url: serviceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(filter(n)))) },
      { name: `${name}${BARE}`, url: bareServiceUrl, team: 'big', paths: sample(USERS).map((n) => scimPath('big', q(filter(n)))) },
    ]),
    {
      name: `userName eq at ${SMALL} users`,
      url: serviceUrl,
      team: 'small',
      paths: sample(SMALL).map((n) => scimPath('small', q(`userName eq "user${n}@small.example"`))),
    },
    { name: 'page of 100, unfiltered', url: serviceUrl, team: 'big', paths: [scimPath('big', 'startIndex=1&count=100')] },
    {
      name: `page of 100, unfiltered, at ${SMALL} users`,
      url: serviceUrl,
      team: 'small',
      paths: [scimPath('small', 'startIndex=1&count=100')],
    },
    // `active eq true|false` with exact totals, on the big team (one in ten deactivated) and on HALF_TEAM
    // (one in two), each against a 1000-user team with the same share.
    ...ACTIVE_LISTS.map(({ name, team, value }) => ({
      name,
      url: serviceUrl,
      team,
      paths: [scimPath(team, `startIndex=1&count=100&${q(`active eq ${value}`)}`)],
    })),
    {
      name: 'Okta connection test (count=2), 1 connection',
      url: serviceUrl,
      team: 'big',
      paths: [scimPath('big', 'startIndex=1&count=2')],
      connections: 1,
    },
    {
      name: 'userName eq, 1 connection',
      url: serviceUrl,
      team: 'big',
      paths: sample(USERS).map((n) => scimPath('big', q(`userName eq "user${n}@big.example"`))),
      connections: 1,
    },
    {
      name: `page of 100 at startIndex ${Math.floor(USERS * 0.9) + 1}`,
      url: serviceUrl,
      team: 'big',
      paths: [scimPath('big', `startIndex=${Math.floor(USERS * 0.9) + 1}&count=100`)],
      connections: 1,
    },
    { name: firstCursorCase, url: serviceUrl, team: 'big', paths: [scimPath('big', `cursor=&${CURSOR_PAGE}`)], connections: 1 },
    // Its path (a real cursor) is made below, only when the case runs.
    { name: deepCursorCase, url: serviceUrl, team: 'big', paths: [], connections: 1 },
    // seed.ts: familyName is one of 8 names + (n % 1000). "h12" is in Smith120 and Smith128 (2 users in 1000);
    // "ith" is in every Smith (1 in 8), more than FILTER_MATCH_BUDGET at a million: tooMany, after a bounded count.
    {
      name: 'co, 3 characters, name.familyName, 1 connection',
      url: serviceUrl,
      team: 'big',
      paths: [scimPath('big', q('name.familyName co "h12"'))],
      connections: 1,
    },
    {
      name: 'co, 3 characters matching 1 in 8, name.familyName, 1 connection',
      url: serviceUrl,
      team: 'big',
      paths: [scimPath('big', q('name.familyName co "ith"'))],
      connections: 1,
      accept: { status: 400, scimType: 'tooMany' },
    },
    // The issue: "a 2-character term: tooMany or under 1 s"; a 400 tooMany is an accepted answer.
    {
      name: 'co, 2 characters, name.familyName, 1 connection',
      url: serviceUrl,
      team: 'big',
      paths: [scimPath('big', q('name.familyName co "it"'))],
      connections: 1,
      accept: { status: 400, scimType: 'tooMany' },
    },
  ]
  const selected = cases.filter((c, i) => i === 0 || CASE_FILTER.length === 0 || CASE_FILTER.some((s) => c.name.toLowerCase().includes(s)))
  const writeNames = writeCaseNames(USERS, SMALL, DATABASE === 'pglite' ? 'pglite' : 'postgres').all()
  const picks = (name: string) => CASE_FILTER.length === 0 || CASE_FILTER.some((s) => name.toLowerCase().includes(s))
  if (CASE_FILTER.length > 0 && selected.length === 1) {
    if (!writeNames.some(picks) && !WALKS.some((w) => picks(w.name))) {
      const all = [...cases.map((c) => c.name), ...writeNames, ...WALKS.map((w) => w.name)]
      throw new Error(`BENCH_CASES=${env.BENCH_CASES} matches no case; the cases are:\n${all.map((name) => `  ${name}`).join('\n')}`)
    }
    // Write cases or walks only: no read rounds, not even the read baseline.
    selected.length = 0
  }
  const runs = (name: string) => selected.some((c) => c.name === name)
  const auth = (team: string) => ({ authorization: `Bearer ${tokens[team]!.token}` })

  // The teams with half their users deactivated, seeded only when a selected case reads them.
  for (const [team, size] of [
    [HALF_TEAM, USERS],
    [SMALL_HALF_TEAM, SMALL],
  ] as const) {
    if (!selected.some((c) => c.team === team)) continue
    const started = Date.now()
    process.stdout.write(`seeding ${size} users, one in two deactivated (team ${team})... `)
    await target.seedMore((db) => seedTeam(db, team, size, 2))
    await enable(team)
    process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  }

  if (runs(firstCursorCase) || runs(deepCursorCase)) {
    // Cursor pages follow the primary key (team_id, id). The page at CURSOR_POSITION (0-based) continues
    // after the id just before it, with the cursor the route itself would issue for this query: the same
    // binding (listQuery's cursor), key and encodeCursor.
    const [before, first] = await query<{ id: string }>('select id from scim_users where team_id = $1 order by id offset $2 limit 2', [
      'big',
      CURSOR_POSITION - 1,
    ])
    if (!before || !first) throw new Error(`no user at position ${CURSOR_POSITION} of team big`)
    const { cursor } = listQuery(
      Object.fromEntries(new URLSearchParams(`cursor=&${CURSOR_PAGE}`)),
      userView,
      { maxResults: SERVICE_LIMITS.maxResults, cursorKey },
      tokens.big!.endpointId,
    )
    const deepPath = scimPath('big', `cursor=${encodeURIComponent(encodeCursor(before.id, cursor!.binding, cursorKey))}&${CURSOR_PAGE}`)
    cases.find((c) => c.name === deepCursorCase)!.paths.push(deepPath)

    // Checked once before the rounds: a refused or misplaced cursor would measure an error page.
    const check = async (path: string, expectedFirstId: string, what: string) => {
      const res = await fetch(`${serviceUrl}${path}`, { headers: auth('big') })
      const body = (await res.json()) as { Resources?: { id: string }[]; nextCursor?: string }
      const firstId = body.Resources?.[0]?.id
      if (res.status !== 200 || firstId !== expectedFirstId || (USERS > 100 && what === 'first cursor page' && !body.nextCursor)) {
        throw new Error(
          `${what}: expected 200 with users from ${expectedFirstId} on, got ${res.status}, first id ${firstId}: ${JSON.stringify(body).slice(0, 400)}`,
        )
      }
    }
    const [smallest] = await query<{ id: string }>('select id from scim_users where team_id = $1 order by id limit 1', ['big'])
    await check(scimPath('big', `cursor=&${CURSOR_PAGE}`), smallest!.id, 'first cursor page')
    await check(deepPath, first.id, `cursor at position ${CURSOR_POSITION}`)
    process.stdout.write(`cursor at position ${CURSOR_POSITION} checked: 200, first id ${first.id}\n`)
  }

  // An accepted non-2xx answer must be the one named (a 400 invalidFilter is not a tooMany).
  for (const c of selected.filter((c) => c.accept)) {
    const res = await fetch(`${c.url}${c.paths[0]}`, { headers: c.team ? auth(c.team) : {} })
    const body = (await res.json()) as { scimType?: string }
    if (!res.ok && (res.status !== c.accept!.status || body.scimType !== c.accept!.scimType)) {
      throw new Error(
        `${c.name}: expected 2xx or ${c.accept!.status} ${c.accept!.scimType}, got ${res.status}: ${JSON.stringify(body).slice(0, 400)}`,
      )
    }
    process.stdout.write(`${c.name}: ${res.status}${res.ok ? '' : ` ${body.scimType}`} (checked)\n`)
  }

  function load(c: Case, seconds = SECONDS): Promise<Result> {
    const job = {
      url: c.url,
      paths: c.paths,
      headers: c.team ? auth(c.team) : {},
      connections: c.connections ?? CONNECTIONS,
      seconds,
      // Past the service's own limits (statement timeout 10 s, request timeout 30 s): a slow answer is measured, not dropped.
      timeout: 40,
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(job)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      child.stdout.on('data', (chunk) => (out += String(chunk)))
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`load exited ${code}`))))
    })
  }

  // Entra's large-group limit: one PATCH adding (then removing) 10,000 members must finish well under 60 s.
  let patches: { memberCount: number; add: { status: number; ms: number }; remove: { status: number; ms: number } } | undefined
  if (GROUP_PATCH) {
    const memberIds = (
      await query<{ id: string }>('select id from scim_users where team_id = $1 order by created_at limit 10000', ['big'])
    ).map((r) => r.id)
    const scimHeaders = { ...auth('big'), 'content-type': 'application/scim+json' }
    const groupsUrl = `${serviceUrl}/scim/v2/${tokens.big!.endpointId}/Groups`
    const group = (await (
      await fetch(groupsUrl, { method: 'POST', headers: scimHeaders, body: JSON.stringify({ displayName: 'Everyone' }) })
    ).json()) as { id: string }
    const timedPatch = async (op: 'add' | 'remove') => {
      const began = performance.now()
      const res = await fetch(`${groupsUrl}/${group.id}`, {
        method: 'PATCH',
        headers: scimHeaders,
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op, path: 'members', value: memberIds.map((value) => ({ value })) }],
        }),
      })
      return { status: res.status, ms: performance.now() - began }
    }
    const add = await timedPatch('add')
    const remove = await timedPatch('remove')
    patches = { memberCount: memberIds.length, add, remove }
  }

  // A second of each case first, not counted: the first requests of a code path run before the JIT
  // has compiled it, and would otherwise weigh on whichever case comes first in round 1.
  for (const c of selected) await load(c, 1)
  const results = new Map<string, Result[]>()
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts one case further on, so no case always follows the same neighbour.
    const shift = (round - 1) % selected.length
    for (const c of [...selected.slice(shift), ...selected.slice(0, shift)]) {
      const result = await load(c)
      results.set(c.name, [...(results.get(c.name) ?? []), result])
      const other = c.accept || unexpected(c, result) ? `, ${statusText(result)}` : ''
      process.stdout.write(
        `round ${round}/${ROUNDS} ${c.name}: ${result.requests.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${other}\n`,
      )
    }
  }

  // Okta's import, timed as a client makes it: consecutive pages of 100 on one connection, by startIndex
  // and by cursor (RFC 9865), over the whole big team and over DEEP_PAGES pages from 90% of the way in
  // (the index stretch starts where an import reaches it: the page before it was served, untimed).
  const walks = WALKS.filter((w) => picks(w.name))
  const walkTimes = new Map<string, { ms: number[]; pages: number; users: number }>()
  if (walks.length > 0) {
    const page = async (query: string) => {
      const res = await fetch(`${serviceUrl}${scimPath('big', query)}`, { headers: auth('big') })
      const body = (await res.json()) as { Resources?: { id: string }[]; nextCursor?: string }
      if (res.status !== 200) throw new Error(`import page ${query}: ${res.status} ${JSON.stringify(body).slice(0, 400)}`)
      return { ids: (body.Resources ?? []).map((r) => r.id), next: body.nextCursor }
    }
    const { cursor } = listQuery({ cursor: '', count: '100' }, userView, { maxResults: SERVICE_LIMITS.maxResults, cursorKey }, 'benchbig')
    const walk = async (w: (typeof walks)[number]) => {
      let next: string | undefined = ''
      if (!w.index && w.from > 1) {
        const [before] = await query<{ id: string }>('select id from scim_users where team_id = $1 order by id offset $2 limit 1', [
          'big',
          w.from - 2,
        ])
        next = encodeCursor(before!.id, cursor!.binding, cursorKey)
      }
      if (w.index && w.from > 1) await page(`startIndex=${w.from - 100}&count=100`)
      const seen = new Set<string>()
      let pages = 0
      let users = 0
      const began = performance.now()
      for (let start = w.from; pages < w.pages; start += 100) {
        const got: { ids: string[]; next: string | undefined } = w.index
          ? await page(`startIndex=${start}&count=100`)
          : await page(`cursor=${encodeURIComponent(next!)}&count=100`)
        pages++
        users += got.ids.length
        for (const id of got.ids) seen.add(id)
        next = got.next
        if (w.index ? got.ids.length < 100 : next === undefined) break
      }
      const ms = performance.now() - began
      const expected = w.pages === Infinity ? USERS : Math.min(USERS - w.from + 1, w.pages * 100)
      if (users !== expected || seen.size !== expected)
        throw new Error(`${w.name}: ${users} users (${seen.size} distinct), expected ${expected}`)
      return { ms, pages, users }
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const w of round % 2 === 1 ? walks : [...walks].reverse()) {
        const { ms, pages, users } = await walk(w)
        walkTimes.set(w.name, { ms: [...(walkTimes.get(w.name)?.ms ?? []), ms], pages, users })
        process.stdout.write(`round ${round}/${ROUNDS} ${w.name}: ${pages} pages, ${users} users, ${(ms / 1000).toFixed(2)} s\n`)
      }
    }
  }

  // Medians over the rounds; with an even number of rounds, the mean of the middle two (not the upper one,
  // which took the better round's req/s but the worse round's latencies).
  const summary = new Map(
    [...results].map(([name, list]) => {
      const statuses: Record<string, number> = {}
      for (const r of list) for (const [code, count] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + count
      return [
        name,
        {
          requests: median(list.map((r) => r.requests)),
          mean: median(list.map((r) => r.mean)),
          p50: median(list.map((r) => r.p50)),
          p99: median(list.map((r) => r.p99)),
          non2xx: list.reduce((s, r) => s + r.non2xx + r.errors, 0),
          errors: list.reduce((s, r) => s + r.errors, 0),
          statuses,
        },
      ]
    }),
  )
  const pairs: { a: string; b: string; what: string; label?: string }[] = [
    ...EQ_LOOKUPS.flatMap(({ name }) => [
      { a: name, b: cases[0]!.name, what: 'req/s vs baseline' },
      { a: `${name}${BARE}`, b: cases[0]!.name, what: 'req/s vs baseline' },
    ]),
    { a: 'userName eq', b: BARE_CASE, what: 'req/s with the hooks vs without' },
    { a: 'page of 100, unfiltered', b: `page of 100, unfiltered, at ${SMALL} users`, what: `req/s vs ${SMALL} users` },
    ...ACTIVE_LISTS.filter((l) => !l.small).map(({ name }) => ({
      a: name,
      b: `${name}, at ${SMALL} users`,
      what: `req/s vs ${SMALL} users`,
    })),
    { a: 'Okta connection test (count=2), 1 connection', b: 'userName eq, 1 connection', what: 'latency vs eq lookup (1 connection)' },
    { a: deepCursorCase, b: firstCursorCase, what: 'latency vs first cursor page', label: 'cursor page at 90%' },
  ]
  process.stdout.write(
    `\n${USERS} users (+${SMALL}) on ${target.label}, ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections unless stated; medians\n\n`,
  )
  process.stdout.write('| case | req/s | mean ms | p50 ms | p99 ms | non-2xx | statuses (all rounds) |\n|---|---|---|---|---|---|---|\n')
  for (const [name, r] of summary) {
    process.stdout.write(
      `| ${name} | ${r.requests.toFixed(0)} | ${r.mean.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${statusText(r)} |\n`,
    )
  }
  const ratios = pairs.filter(({ a, b }) => summary.has(a) && summary.has(b))
  if (ratios.length > 0) process.stdout.write('\n| ratio | value |\n|---|---|\n')
  for (const { a, b, what, label } of ratios) {
    const x = summary.get(a)!
    const y = summary.get(b)!
    // One connection: the time per request is 1 / req/s (autocannon's latencies are whole milliseconds).
    const value = what.startsWith('latency') ? y.requests / x.requests : x.requests / y.requests
    process.stdout.write(`| ${label ?? a}: ${what} | ${value.toFixed(2)}x |\n`)
  }

  if (patches) {
    process.stdout.write(
      `\n| one PATCH of ${patches.memberCount} group members | status | ms |\n|---|---|---|\n| add | ${patches.add.status} | ${patches.add.ms.toFixed(0)} |\n| remove (value list) | ${patches.remove.status} | ${patches.remove.ms.toFixed(0)} |\n`,
    )
  }
  if (walkTimes.size > 0) {
    process.stdout.write('\n| consecutive pages on 1 connection | pages | users | s (median) | ms per page |\n|---|---|---|---|---|\n')
    for (const [name, w] of walkTimes) {
      const ms = median(w.ms)
      process.stdout.write(`| ${name} | ${w.pages} | ${w.users} | ${(ms / 1000).toFixed(2)} | ${(ms / w.pages).toFixed(2)} |\n`)
    }
    const pairsOfWalks = [...walkTimes.keys()].filter((name) => name.includes('index pages'))
    for (const name of pairsOfWalks) {
      const other = walkTimes.get(name.replace('index pages', 'cursor pages').replace(/startIndex (\d+)/, 'position $1'))
      if (other) {
        process.stdout.write(
          `| ratio: ${name}: time vs the same by cursor | | | ${(median(walkTimes.get(name)!.ms) / median(other.ms)).toFixed(2)}x | |\n`,
        )
      }
    }
  }
  const failed = selected.filter((c) => unexpected(c, summary.get(c.name)!) > 0)
  if (failed.length > 0) {
    process.stdout.write(
      `\nUnexpected responses (neither 2xx nor accepted): ${failed.map((c) => `${c.name} (${statusText(summary.get(c.name)!)})`).join('; ')}\n`,
    )
  }

  // Creates, deactivations, reactivations, profile and group PATCHes against their floor and twins (bench/writes.ts).
  await runWriteBench({
    db: database.db,
    store,
    serviceUrl,
    tokens: { big: tokens.big!.token, small: tokens.small!.token },
    bigUsers: USERS,
    smallUsers: SMALL,
    rounds: ROUNDS,
    selects: picks,
  })
}

try {
  await main()
} finally {
  await cleanUp()
}
