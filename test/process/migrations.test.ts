import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { requiredInCI, throwawayDatabase } from '../helpers/databases.js'
import { eventually } from '../helpers/eventually.js'
import { freePort } from '../helpers/ports.js'
import { answersReady, STARTING } from '../helpers/replica.js'

/**
 * Migrations at start on PostgreSQL: replicas started together on an empty
 * database take turns under an advisory lock instead of crashing on duplicate keys in pg_namespace and
 * pg_type; MIGRATE_ON_START=false leaves the schema to the one-shot `migrate` job; a start-up crash
 * prints PostgreSQL's own reason. The processes run through tsx, as in server.test.ts.
 */
const adminUrl = process.env.TEST_DATABASE_URL
// Skipped without PostgreSQL on a developer's machine; in CI that fails the file (requiredInCI).
const needsPostgres = requiredInCI(adminUrl ? false : 'needs TEST_DATABASE_URL: several processes on one PostgreSQL database')

/** A fresh, empty database on the TEST_DATABASE_URL server, dropped at teardown. */
async function emptyDatabase(t: Test): Promise<{ url: string; query: (sql: string) => Promise<pg.QueryResult> }> {
  const url = await throwawayDatabase(t, 'scim_migrations')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  return { url, query: (sql) => client.query(sql) }
}

interface Process {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function run(t: Test, script: string, env: Record<string, string>): Process {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => void child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk) => (output += String(chunk)))
  child.stderr.on('data', (chunk) => (output += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/** The exit code, or 'still running' after `ms` (a service that migrated anyway would never exit). */
async function exitCode(process: Process, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)))
  try {
    return await Promise.race([process.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Ready, or how it ended: a crashed replica answers at once instead of after the polling limit. */
async function readiness(port: number, process: Process): Promise<string> {
  let exit: number | null | undefined
  void process.exited.then((code) => (exit = code))
  const state = await eventually(
    async () => (exit !== undefined ? `exited with ${exit}` : (await answersReady(`http://127.0.0.1:${port}`)) ? 'ready' : undefined),
    (state) => state !== undefined,
    { ...STARTING, timeoutMs: 60_000 },
  )
  return state ?? 'not ready after 60 s'
}

const journal = JSON.parse(readFileSync('migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] }

t.test('five processes started at once on an empty database all become ready', { skip: needsPostgres }, async (t) => {
  const database = await emptyDatabase(t)
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()))
  const replicas = ports.map((port) => ({
    port,
    process: run(t, 'src/server.ts', { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url }),
  }))
  const states = await Promise.all(replicas.map((r) => readiness(r.port, r.process)))
  for (const [i, state] of states.entries()) {
    t.equal(state, 'ready', `replica ${i + 1}`, state === 'ready' ? {} : { output: replicas[i]!.process.output() })
  }
  const applied = await database.query('select count(*)::int as n from drizzle.__drizzle_migrations')
  t.equal(applied.rows[0].n, journal.entries.length, 'each migration applied once')
})

t.test('MIGRATE_ON_START=false leaves migrations to the one-shot job, and a failed start says why', { skip: needsPostgres }, async (t) => {
  const database = await emptyDatabase(t)
  const env = { HOST: '127.0.0.1', DATABASE_URL: database.url, MIGRATE_ON_START: 'false' }

  const unmigrated = run(t, 'src/server.ts', { ...env, PORT: String(await freePort()) })
  t.equal(await exitCode(unmigrated, 30_000), 1, 'on an unmigrated database the service does not start')
  t.match(unmigrated.output(), /compound-scim failed to start: .*MIGRATE_ON_START=false: run `node dist\/migrate\.js` first/)
  t.match(
    unmigrated.output(),
    /caused by: relation "drizzle.__drizzle_migrations" does not exist\n\s+code: 42P01\n/,
    "PostgreSQL's message and SQLSTATE, from drizzle's wrapped error",
  )
  const schemas = await database.query("select 1 from pg_namespace where nspname = 'drizzle'")
  t.equal(schemas.rowCount, 0, 'the service applied no migration')

  const job = run(t, 'src/migrate.ts', { DATABASE_URL: database.url })
  t.equal(await exitCode(job, 30_000), 0, 'the one-shot job applies them')
  t.match(job.output(), /migrations applied \(postgres\)/)

  const port = await freePort()
  const started = run(t, 'src/server.ts', { ...env, PORT: String(port) })
  t.equal(await readiness(port, started), 'ready', 'then the service starts without migrating')
})
