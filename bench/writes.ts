import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import Fastify from 'fastify'
import pg from 'pg'
import { generateToken, hashToken } from '../src/auth/tokens.js'
import type { Db } from '../src/store/pg/database.js'
import type { PgStores } from '../src/store/pg/pg-stores.js'
import { median } from './throwaway.js'

/**
 * The write half of `npm run bench`: provisioning requests through the service, each
 * against a floor or a same-run twin, in interleaved rounds like the read cases.
 *
 * - create on a fresh team vs the floor route (bare Fastify + the same database, one transaction of
 *   the four inserts a create makes: account, membership, SCIM user, audit entry);
 * - create, deactivate, reactivate and a profile PATCH on the big team vs the same on the small one;
 * - single-member group PATCHes (Okta's and Entra's group push), 10,000 in all across the rounds, to
 *   one group of the big team, vs creates on a fresh team.
 *
 * Writes consume state, so every run has its own: each run is a fixed number of requests
 * (BENCH_WRITES, default 1000; fewer on the small team if it has fewer active users), every one a
 * real change, and its rate is requests over wall-clock time. Creates use userNames and emails new to
 * the whole run (`c{round}-{i}@{team}.new`); those made on the big and small teams are deleted again
 * after each run, untimed, so both teams keep their sizes. The fresh team and the floor's team are new
 * each round. Deactivations take active users (on the big team a slice no earlier round used; on the
 * small team the same users each round); the reactivations that follow take the same users back, and
 * the profile PATCHes then rename them (a new name each round), so each round leaves the small team
 * as it found it. The group PATCHes add users no earlier PATCH added.
 *
 * BENCH_WRITES (1000: requests per run, at most the small team's active users), BENCH_WRITE_ROUNDS
 * (BENCH_ROUNDS), BENCH_WRITE_CONNECTIONS (16, as in the issue's measurements), BENCH_GROUP_PATCHES
 * (10000, spread over the rounds). A round 0 of a tenth of the requests warms each case up, uncounted.
 */

/** The database under the service, used raw: the floor's transactions and the bench's own set-up. */
interface RawDatabase {
  readonly kind: 'postgres' | 'pglite'
  readonly close: () => Promise<void>
  readonly query: <R>(text: string, params: unknown[]) => Promise<R[]>
  /** One transaction on one connection, for the floor route. */
  readonly transaction: <T>(work: (query: (text: string, params: unknown[]) => Promise<{ rows: unknown[] }>) => Promise<T>) => Promise<T>
}

/**
 * drizzle's client under `db`: PGlite itself, or on PostgreSQL a plain pg pool of the service's size
 * to the same database (the floor shares nothing with the service but the database).
 */
function rawDatabase(db: Db): RawDatabase {
  const client = (db as unknown as { $client: unknown }).$client
  if (client instanceof PGlite) {
    return {
      kind: 'pglite',
      close: async () => undefined,
      query: async <R>(text: string, params: unknown[]) => (await client.query<R>(text, params)).rows,
      transaction: (work) => client.transaction((tx) => work((text, params) => tx.query(text, params))),
    }
  }
  const { connectionString, max } = (client as pg.Pool).options
  const pool = new pg.Pool({ connectionString, max })
  // Its connections end with the database at the end of the run; that is no failure of the bench.
  pool.on('error', () => undefined)
  return {
    kind: 'postgres',
    close: () => pool.end(),
    query: async <R>(text: string, params: unknown[]) => (await pool.query(text, params)).rows as R[],
    transaction: async (work) => {
      const connection = await pool.connect()
      try {
        await connection.query('begin')
        const value = await work((text, params) => connection.query(text, params))
        await connection.query('commit')
        return value
      } catch (error) {
        await connection.query('rollback').catch(() => undefined)
        throw error
      } finally {
        connection.release()
      }
    },
  }
}

export interface WriteBenchOptions {
  /** The service's database handle (its pool on PostgreSQL: the floor uses the same one). */
  readonly db: Db
  readonly store: PgStores
  readonly serviceUrl: string
  /** The big and small teams' tokens (already enabled). */
  readonly tokens: Record<'big' | 'small', string>
  readonly bigUsers: number
  readonly smallUsers: number
  readonly rounds: number
  /** Whether a case runs (BENCH_CASES); the floor runs whenever a create does. */
  readonly selects: (name: string) => boolean
}

const env = process.env
const WRITES = Number(env.BENCH_WRITES ?? 1000)
const CONNECTIONS = Number(env.BENCH_WRITE_CONNECTIONS ?? 16)
const GROUP_PATCHES = Number(env.BENCH_GROUP_PATCHES ?? 10_000)
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

/**
 * Accounts spread over many teams, as in a shared Compound database: `teams` teams of `perTeam`
 * members each, with their SCIM users, in SQL (three statements whatever the number of teams).
 */
export async function seedManyTeams(db: Db, teams: number, perTeam: number): Promise<void> {
  if (teams <= 0 || perTeam <= 0) return
  const series = sql`generate_series(1, ${teams}) as t cross join generate_series(1, ${perTeam}) as n`
  await db.execute(sql`insert into teams (id, name) select 'many' || t, 'Team ' || t from generate_series(1, ${teams}) as t`)
  await db.execute(sql`
    insert into accounts (id, email, display_name)
    select md5('many' || t || '-' || n)::uuid, 'p' || n || '@team' || t || '.example', 'Person ' || n from ${series}`)
  await db.execute(sql`
    insert into team_memberships (team_id, account_id, role)
    select 'many' || t, md5('many' || t || '-' || n)::uuid, case when n = 1 then 'owner' else 'member' end from ${series}`)
  await db.execute(sql`
    insert into scim_users (team_id, id, user_name, active, account_id, doc)
    select 'many' || t, md5('u-many' || t || '-' || n)::uuid, 'p' || n || '@team' || t || '.example', true,
      md5('many' || t || '-' || n)::uuid,
      jsonb_build_object('userName', 'p' || n || '@team' || t || '.example', 'active', true, 'displayName', 'Person ' || n,
        'emails', jsonb_build_array(jsonb_build_object('value', 'p' || n || '@team' || t || '.example', 'type', 'work', 'primary', true)))
    from ${series}`)
  await db.execute(sql`analyze`)
}

interface LoadResult {
  total: number
  /** Microseconds of this process's CPU per request (set after the run). */
  cpuUs?: number
  /** Microseconds of the PostgreSQL server's CPU per request, when it runs on this machine (set after the run). */
  dbCpuUs?: number
  elapsedMs: number
  mean: number
  p50: number
  p99: number
  errors: number
  statuses: Record<string, number>
}

interface Run {
  url: string
  token?: string
  method: 'POST' | 'PATCH'
  paths: string[]
  bodies: string[]
}

function load(run: Run): Promise<LoadResult> {
  const job = {
    url: run.url,
    paths: run.paths,
    bodies: run.bodies,
    method: run.method,
    amount: run.paths.length,
    connections: Math.min(CONNECTIONS, run.paths.length),
    headers: { 'content-type': 'application/scim+json', ...(run.token ? { authorization: `Bearer ${run.token}` } : {}) },
    seconds: 0,
    timeout: 40,
  }
  // Too large for the command line: through a file, removed once the run is over.
  const dir = mkdtempSync(join(tmpdir(), 'scim-bench-writes-'))
  const file = join(dir, 'job.json')
  writeFileSync(file, JSON.stringify(job))
  return new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', `@${file}`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += String(chunk)))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited ${code}`))))
  }).finally(() => rmSync(dir, { recursive: true, force: true }))
}

const createBody = (userName: string, i: number) =>
  JSON.stringify({
    schemas: [USER_URN],
    userName,
    externalId: `00u-${userName}`,
    name: { givenName: 'New', familyName: `Person${i}` },
    displayName: `New Person ${i}`,
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  })
const patchBody = (...Operations: unknown[]) => JSON.stringify({ schemas: [PATCH_URN], Operations })

/** The write cases' names, for BENCH_CASES. */
export function writeCaseNames(bigUsers: number, smallUsers: number, kind: 'postgres' | 'pglite') {
  return {
    floor: `floor: Fastify + ${kind === 'pglite' ? 'PGlite' : 'pg'}, one transaction of the four inserts`,
    fresh: 'create (POST /Users) on a fresh team',
    create: (team: string) => `create on the ${team}`,
    deactivate: (team: string) => `deactivate (PATCH active false) on the ${team}`,
    reactivate: (team: string) => `reactivate (PATCH active true) on the ${team}`,
    profile: (team: string) => `profile PATCH (displayName) on the ${team}`,
    group: 'one-member group PATCH (add) to one group of the big team',
    all(): string[] {
      const teams = [`team of ${bigUsers} users`, `team of ${smallUsers} users`]
      return [
        this.floor,
        this.fresh,
        ...[this.create, this.deactivate, this.reactivate, this.profile].flatMap((f) => teams.map(f)),
        this.group,
      ]
    },
  }
}

export async function runWriteBench(options: WriteBenchOptions): Promise<void> {
  const { store, serviceUrl, bigUsers, smallUsers } = options
  const rounds = Number(env.BENCH_WRITE_ROUNDS ?? options.rounds)
  const target = rawDatabase(options.db)
  const { query } = target
  const names = writeCaseNames(bigUsers, smallUsers, target.kind)
  const big = `team of ${bigUsers} users`
  const small = `team of ${smallUsers} users`
  const wanted = (name: string) => options.selects(name)
  const anyCreate = [names.fresh, names.create(big), names.create(small), names.group].some(wanted)
  const order: string[] = [
    ...(anyCreate || wanted(names.floor) ? [names.floor, names.fresh] : []),
    ...[names.create, names.deactivate, names.reactivate, names.profile].flatMap((name) => [name(big), name(small)]).filter(wanted),
    ...(wanted(names.group) ? [names.group] : []),
  ]
  if (order.length === 0) return

  // The floor: what the four inserts of a create cost through Fastify and the same database.
  const floor = Fastify()
  floor.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      done(error as Error)
    }
  })
  floor.post('/floor/:team', async (request, reply) => {
    const { team } = request.params as { team: string }
    const { schemas: _schemas, ...doc } = request.body as Record<string, unknown> & { userName: string; externalId?: string }
    const id = randomUUID()
    const now = new Date()
    const accountId = await target.transaction(async (q) => {
      const [account] = (
        await q('insert into accounts (email, display_name) values ($1, $2) returning id', [doc.userName, doc.displayName ?? null])
      ).rows as { id: string }[]
      await q(`insert into team_memberships (team_id, account_id, role) values ($1, $2, 'member')`, [team, account!.id])
      await q(
        'insert into scim_users (team_id, id, user_name, external_id, active, account_id, doc, created_at, last_modified) values ($1, $2, $3, $4, true, $5, $6, $7, $7)',
        [team, id, doc.userName, doc.externalId ?? null, account!.id, JSON.stringify(doc), now],
      )
      await q(
        `insert into audit_events (team_id, source, action, outcome, endpoint_id, resource_id, account_id, detail) values ($1, 'scim', 'user.create', 'created', $2, $3, $4, $5)`,
        [team, team, id, account!.id, doc.userName],
      )
      return account!.id
    })
    reply.code(201).header('content-type', 'application/scim+json')
    return { schemas: [USER_URN], id, ...doc, meta: { resourceType: 'User', created: now, lastModified: now, version: 'W/"1"' }, accountId }
  })
  await floor.listen({ host: '127.0.0.1', port: 0 })
  const floorUrl = `http://127.0.0.1:${(floor.server.address() as { port: number }).port}`

  try {
    const enable = async (team: string) => {
      await query('insert into teams (id, name) values ($1, $1) on conflict do nothing', [team])
      const token = generateToken('cpscim_')
      await store.accounts.setSso(team, 'saml')
      await store.connections.insertConnection(team, `bench-${team}`, hashToken(token))
      return { token, base: `/scim/v2/bench-${team}` }
    }
    const teams = {
      big: { token: options.tokens.big, base: '/scim/v2/benchbig' },
      small: { token: options.tokens.small, base: '/scim/v2/benchsmall' },
    }
    // The same number of users for both teams' runs, as many as the small team has active.
    const [{ n: smallActive } = { n: 0 }] = await query<{ n: number }>(
      `select count(*)::int as n from scim_users where team_id = 'small' and active`,
      [],
    )
    const perRun = Math.max(1, Math.min(WRITES, smallActive))
    // Deactivated, reactivated and renamed in this round: a slice of the big team no earlier round used, the same users of the small team.
    const activeSlice = async (team: 'big' | 'small', round: number) =>
      (
        await query<{ id: string }>(`select id from scim_users where team_id = $1 and active order by created_at, id offset $2 limit $3`, [
          team,
          team === 'big' ? (round - 1) * perRun : 0,
          perRun,
        ])
      ).map((r) => r.id)
    // The group's new members: big-team users in creation order, a new slice each round.
    const groupPerRound = Math.ceil(GROUP_PATCHES / rounds)
    let groupUrl: string | undefined
    if (wanted(names.group)) {
      const res = await fetch(`${serviceUrl}${teams.big.base}/Groups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${teams.big.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Burst ${randomUUID()}` }),
      })
      if (res.status !== 201) throw new Error(`group create: ${res.status} ${await res.text()}`)
      groupUrl = `${teams.big.base}/Groups/${((await res.json()) as { id: string }).id}`
    }
    /** Creates made on a seeded team go again after the run (untimed), so the team keeps its size. */
    const undoCreates = async (team: string, since: Date) => {
      const gone = await query<{ account_id: string }>(
        `delete from scim_users where team_id = $1 and created_at >= $2 returning account_id`,
        [team, since],
      )
      const ids = gone.map((r) => r.account_id)
      await query('delete from team_memberships where team_id = $1 and account_id = any($2::uuid[])', [team, ids])
      await query('delete from accounts where id = any($1::uuid[])', [ids])
    }

    const databaseCpu = target.kind === 'postgres' ? await postgresCpu(query) : undefined
    const results = new Map<string, LoadResult[]>()
    const record = (name: string, round: number, r: LoadResult) => {
      results.set(name, [...(results.get(name) ?? []), r])
      const rate = (r.total / r.elapsedMs) * 1000
      const bad = unexpected(r)
      process.stdout.write(
        `round ${round}/${rounds} ${name}: ${rate.toFixed(0)} req/s (${r.total} in ${(r.elapsedMs / 1000).toFixed(2)} s), p50 ${r.p50} ms, p99 ${r.p99} ms, ${((r.cpuUs ?? 0) / 1000).toFixed(2)} ms of server CPU a request${r.dbCpuUs === undefined ? '' : `, ${(r.dbCpuUs / 1000).toFixed(2)} ms of database CPU`}${bad ? `, ${statusText(r)}` : ''}\n`,
      )
    }

    for (let round = 0; round <= rounds; round++) {
      // Round 0 is a warm-up (JIT), not counted: a tenth of the requests of each case.
      const count = round === 0 ? Math.max(CONNECTIONS, Math.floor(perRun / 10)) : perRun
      const tag = round === 0 ? 'w' : `${round}`
      // Big team first in odd rounds, small team first in even ones.
      const pair = (name: (team: string) => string) => (round % 2 === 1 ? [name(big), name(small)] : [name(small), name(big)])
      const plan: string[] = [
        names.floor,
        names.fresh,
        ...[names.create, names.deactivate, names.reactivate, names.profile].flatMap(pair),
        names.group,
      ]
      const slices = {
        big: order.some((n) => n.endsWith(big) && !n.startsWith('create'))
          ? await activeSlice('big', round === 0 ? rounds + 1 : round)
          : [],
        small: order.some((n) => n.endsWith(small) && !n.startsWith('create')) ? await activeSlice('small', round) : [],
      }
      for (const name of plan.filter((n) => order.includes(n))) {
        const teamOf = name.endsWith(big) ? 'big' : name.endsWith(small) ? 'small' : undefined
        const ids = teamOf ? slices[teamOf].slice(0, count) : []
        let run: Run
        let after: (() => Promise<void>) | undefined
        if (name === names.floor) {
          const team = `floor-${tag}-${randomUUID().slice(0, 8)}`
          await query('insert into teams (id, name) values ($1, $1)', [team])
          const userNames = Array.from({ length: count }, (_, i) => `f${tag}-${i}@${team}.new`)
          run = { url: floorUrl, method: 'POST', paths: userNames.map(() => `/floor/${team}`), bodies: userNames.map(createBody) }
        } else if (name === names.fresh) {
          const team = `fresh-${tag}-${randomUUID().slice(0, 8)}`
          const { token, base } = await enable(team)
          const userNames = Array.from({ length: count }, (_, i) => `c${tag}-${i}@${team}.new`)
          run = { url: serviceUrl, token, method: 'POST', paths: userNames.map(() => `${base}/Users`), bodies: userNames.map(createBody) }
        } else if (name.startsWith('create on')) {
          const team = teamOf!
          const userNames = Array.from({ length: count }, (_, i) => `c${tag}-${i}-${randomUUID().slice(0, 8)}@${team}.new`)
          run = {
            url: serviceUrl,
            token: teams[team].token,
            method: 'POST',
            paths: userNames.map(() => `${teams[team].base}/Users`),
            bodies: userNames.map(createBody),
          }
          const since = new Date(Date.now() - 1000)
          after = () => undoCreates(team, since)
        } else if (name === names.group) {
          const members = await query<{ id: string }>(
            `select id from scim_users where team_id = 'big' order by created_at, id offset $1 limit $2`,
            [round === 0 ? GROUP_PATCHES : (round - 1) * groupPerRound, round === 0 ? count : groupPerRound],
          )
          run = {
            url: serviceUrl,
            token: teams.big.token,
            method: 'PATCH',
            paths: members.map(() => groupUrl!),
            bodies: members.map((m, i) => patchBody({ op: 'add', path: 'members', value: [{ value: m.id, display: `Member ${i}` }] })),
          }
        } else {
          const team = teamOf!
          const body = name.startsWith('deactivate')
            ? () => patchBody({ op: 'replace', value: { active: false } })
            : name.startsWith('reactivate')
              ? () => patchBody({ op: 'replace', value: { active: true } })
              : (i: number) => patchBody({ op: 'replace', path: 'displayName', value: `Renamed ${tag}-${i}` })
          run = {
            url: serviceUrl,
            token: teams[team].token,
            method: 'PATCH',
            paths: ids.map((id) => `${teams[team].base}/Users/${id}`),
            bodies: ids.map((_, i) => body(i)),
          }
        }
        if (run.paths.length === 0) continue
        // The CPU this process (the service, or the floor route) spent per request: where a write's time goes besides the database.
        const cpu = process.cpuUsage()
        const dbCpu = databaseCpu?.()
        const result = await load(run)
        const spent = process.cpuUsage(cpu)
        result.cpuUs = (spent.user + spent.system) / Math.max(1, result.total)
        if (dbCpu !== undefined) result.dbCpuUs = ((databaseCpu!() - dbCpu) * 1000) / Math.max(1, result.total)
        await after?.()
        if (round > 0) record(name, round, result)
        else if (unexpected(result)) throw new Error(`warm-up of ${name}: ${statusText(result)}`)
      }
    }

    // Medians over the rounds of each case's rate (requests over wall-clock time) and latencies.
    const summary = new Map(
      [...results].map(([name, list]) => {
        const statuses: Record<string, number> = {}
        for (const r of list) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n
        return [
          name,
          {
            rate: median(list.map((r) => (r.total / r.elapsedMs) * 1000)),
            mean: median(list.map((r) => r.mean)),
            p50: median(list.map((r) => r.p50)),
            p99: median(list.map((r) => r.p99)),
            cpu: median(list.map((r) => r.cpuUs ?? 0)) / 1000,
            dbCpu: list.every((r) => r.dbCpuUs !== undefined) ? median(list.map((r) => r.dbCpuUs!)) / 1000 : undefined,
            errors: list.reduce((s, r) => s + r.errors, 0),
            statuses,
            unexpected: list.reduce((s, r) => s + unexpected(r), 0),
          },
        ]
      }),
    )
    process.stdout.write(
      `\nWrites: ${rounds} rounds of ${perRun} requests per case (${groupPerRound} for the group), ${CONNECTIONS} connections; medians\n\n`,
    )
    process.stdout.write(
      '| write case | req/s | mean ms | p50 ms | p99 ms | server CPU ms a request | database CPU ms a request | unexpected | statuses (all rounds) |\n|---|---|---|---|---|---|---|---|---|\n',
    )
    for (const [name, r] of summary) {
      process.stdout.write(
        `| ${name} | ${r.rate.toFixed(0)} | ${r.mean.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.cpu.toFixed(2)} | ${r.dbCpu === undefined ? (target.kind === 'pglite' ? 'in the server' : '-') : r.dbCpu.toFixed(2)} | ${r.unexpected} | ${statusText(r)} |\n`,
      )
    }
    const pairs = [
      { a: names.fresh, b: names.floor, what: 'creates/s vs the floor' },
      ...[names.create, names.deactivate, names.reactivate, names.profile].map((name) => ({
        a: name(big),
        b: name(small),
        what: `req/s vs the ${small}`,
      })),
      { a: names.group, b: names.fresh, what: 'req/s vs creates on a fresh team' },
    ].filter(({ a, b }) => summary.has(a) && summary.has(b))
    if (pairs.length > 0) process.stdout.write('\n| write ratio | value |\n|---|---|\n')
    for (const { a, b, what } of pairs) {
      process.stdout.write(`| ${a}: ${what} | ${(summary.get(a)!.rate / summary.get(b)!.rate).toFixed(2)}x |\n`)
    }
    const failed = [...summary].filter(([, r]) => r.unexpected > 0)
    if (failed.length > 0) {
      process.stdout.write(`\nUnexpected write responses: ${failed.map(([name, r]) => `${name} (${statusText(r)})`).join('; ')}\n`)
    }
  } finally {
    await floor.close()
    await target.close()
  }
}

/**
 * The CPU time (ms) PostgreSQL's processes have used so far, when the server runs on this machine: the
 * postmaster's children (backends, and background workers such as autovacuum) read from /proc, as a
 * measure of what each write costs the database that the machine's noise does not move as much as a
 * rate. Undefined when /proc does not show the server (another machine, another OS).
 */
async function postgresCpu(query: RawDatabase['query']): Promise<(() => number) | undefined> {
  const stat = (pid: string | number) => {
    try {
      // Fields after the command name (which may hold spaces): state, ppid, ..., utime (14th field), stime (15th).
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
      // cutime and cstime (16th, 17th): children that have exited, such as the backends of closed pool connections.
      return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), exited: Number(fields[13]) + Number(fields[14]) }
    } catch {
      return undefined
    }
  }
  const [backend] = await query<{ pid: number }>('select pg_backend_pid() as pid', [])
  const postmaster = backend && stat(backend.pid)?.ppid
  if (!postmaster) return undefined
  const TICK_MS = 10 // CLK_TCK is 100 on Linux
  return () => {
    const self = stat(postmaster)
    let ticks = (self?.ticks ?? 0) + (self?.exited ?? 0)
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      const s = stat(pid)
      if (s?.ppid === postmaster) ticks += s.ticks
    }
    return ticks * TICK_MS
  }
}

/** Anything but 2xx, and connection errors. */
const unexpected = (r: { statuses: Record<string, number>; errors: number }) =>
  r.errors + Object.entries(r.statuses).reduce((n, [code, count]) => (/^2/.test(code) ? n : n + count), 0)

const statusText = (r: { statuses: Record<string, number>; errors: number }) =>
  [
    ...Object.entries(r.statuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, count]) => `${code}: ${count}`),
    ...(r.errors ? [`errors: ${r.errors}`] : []),
  ].join(', ') || 'none'
