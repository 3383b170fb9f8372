import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql, type SQL } from 'drizzle-orm'
import pg from 'pg'
import tap, { type Test } from 'tap'
import { MIGRATIONS_FOLDER, openDatabase, PGLITE_EXTENSIONS, type Database, type DatabaseOptions } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'

export interface TestDatabase {
  readonly name: 'pglite' | 'postgres'
  readonly database: Database
  readonly store: PgStores
  /** The PostgreSQL URL of this file's own database (postgres only). */
  readonly url?: string
  /** Empties every table between tests (a truncate takes milliseconds; a new PGlite, a good part of a second). */
  reset(): Promise<void>
  /** Raw rows of a query, for assertions on what is stored. */
  rows<T = Record<string, unknown>>(query: SQL | string): Promise<T[]>
}

const TABLES = [
  'webhook_endpoints',
  'change_events',
  'scim_page_keys',
  'scim_user_counts',
  'audit_events',
  'scim_group_members',
  'scim_groups',
  'scim_users',
  'scim_connections',
  'sso_configs',
  'team_memberships',
  'teams',
  'accounts',
  'service_settings',
]

/**
 * The databases store tests run on: PGlite always; PostgreSQL when TEST_DATABASE_URL is set, or
 * through testcontainers when a Docker engine answers (skipped quietly otherwise, except in CI: see
 * `requiredInCI`). Each test process opens them once, on a PostgreSQL database of its own (created here,
 * dropped when the process's tests end): a group of files run in one process (`runFiles`) shares them,
 * and every file after the first gets them emptied, ids starting again at 1, as new ones would be.
 * `onQuery` watches the statements until `t` ends.
 */
export async function testDatabases(t: Test, options: Pick<DatabaseOptions, 'onQuery'> = {}): Promise<TestDatabase[]> {
  const first = !opened
  opened ??= openTestDatabases()
  const databases = await opened
  if (!first) await Promise.all(databases.map(({ database }) => empty(database, { keepEventIds: false })))
  watcher = options.onQuery
  t.teardown(() => {
    watcher = undefined
  })
  // A store of the file's own over the shared connections: nothing a file did to one reaches the next.
  return databases.map((db) => ({ ...db, store: new PgStores(db.database.db) }))
}

let opened: Promise<TestDatabase[]> | undefined
/** The statement watcher of the file running now (see `testDatabases`). */
let watcher: ((text: string) => void) | undefined

async function openTestDatabases(): Promise<TestDatabase[]> {
  const options: Pick<DatabaseOptions, 'onQuery'> = { onQuery: (text) => watcher?.(text) }
  // Both at once: loading PGlite keeps this process busy while the PostgreSQL server copies the database.
  const pglite = pgliteTarget(tap, options)
  const url = process.env.TEST_DATABASE_URL ?? (await containerUrl(tap))
  requiredInCI(url ? false : 'no PostgreSQL: TEST_DATABASE_URL is unset and no Docker engine answers')
  const postgres = url ? postgresTarget(tap, url, options) : undefined
  return [await pglite, ...(postgres ? [await postgres] : [])]
}

/** CI sets CI=true (GitHub Actions, GitLab and .ci/run do); CI=false or CI=0 count as unset. */
export const IN_CI = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase())

/**
 * A test's skip reason, or false when it can run. A developer without PostgreSQL (or PgBouncer) gets a
 * skip; in CI the same reason throws, so the file fails instead of passing with no test defined.
 */
export function requiredInCI(missing: string | false): string | false {
  if (missing && IN_CI) throw new Error(`${missing}. In CI (CI=${process.env.CI}) every test must run: this fails instead of skipping.`)
  return missing
}

async function pgliteTarget(t: Test, options: Pick<DatabaseOptions, 'onQuery'>): Promise<TestDatabase> {
  const pglite = await migratedPglite()
  const database = await openDatabase({ ...options, pglite })
  // Applies nothing on a snapshot of the current migrations; it still proves the journal matches.
  await database.migrate()
  t.teardown(async () => {
    await database.close()
    await pglite.close()
  })
  return target('pglite', database)
}

/**
 * A new in-memory PGlite holding the migrated, empty schema. Booting PGlite runs initdb's setup
 * (5-6 s on PGlite 0.6, before any migration), and each test file is its own process, so every file
 * paid it: the first file to run migrates a fresh PGlite and dumps its data directory to a temporary
 * file named after the migrations and the PGlite version; the others load that dump (about 2 s: it is
 * still the largest fixed cost of a test file). Same engine,
 * same migrations: only the setup is shared. Written beside and renamed into place, so a file that
 * reads it never sees half of one; an unreadable dump is replaced.
 */
async function migratedPglite(): Promise<PGlite> {
  const snapshot = join(tmpdir(), `compound-scim-pglite-${migrationsKey()}.tar`)
  const saved = await readFile(snapshot).catch(() => undefined)
  if (saved) {
    const loaded = await PGlite.create('memory://', { extensions: PGLITE_EXTENSIONS, loadDataDir: new Blob([saved]) }).catch(
      () => undefined,
    )
    if (loaded) return loaded
  }
  const fresh = await PGlite.create('memory://', { extensions: PGLITE_EXTENSIONS })
  await (await openDatabase({ pglite: fresh })).migrate()
  const dump = await fresh.dumpDataDir('none')
  const partial = `${snapshot}.${process.pid}.${randomBytes(4).toString('hex')}`
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
  await rename(partial, snapshot)
  return fresh
}

let key: string | undefined

/** Changes with any migration file (journal included) and with the PGlite release. */
function migrationsKey(): string {
  if (key) return key
  const hash = createHash('sha256').update(
    readFileSync(join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json')),
  )
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else hash.update(relative(MIGRATIONS_FOLDER, path)).update(readFileSync(path))
    }
  }
  walk(MIGRATIONS_FOLDER)
  key = hash.digest('hex').slice(0, 16)
  return key
}

async function postgresTarget(t: Test, adminUrl: string, options: Pick<DatabaseOptions, 'onQuery'>): Promise<TestDatabase> {
  const { url, drop } = await createDatabase(adminUrl, 'scim_test', await migratedTemplate(adminUrl))
  const database = await openDatabase({ url, poolSize: 25, ...options })
  // Applies nothing on a copy of the migrated template; it still proves the journal matches.
  await database.migrate()
  t.teardown(async () => {
    await database.close()
    await drop()
  })
  return target('postgres', database, url)
}

/**
 * An empty database of the test's own on TEST_DATABASE_URL's server (named `prefix` and a random suffix),
 * dropped at teardown: for tests that start service processes, PgBouncer or migrations on one. Its URL.
 */
export async function throwawayDatabase(t: Test, prefix: string): Promise<string> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) throw new Error('throwawayDatabase needs TEST_DATABASE_URL')
  const { url, drop } = await createDatabase(adminUrl, prefix)
  t.teardown(drop)
  return url
}

/**
 * Creates a database on `adminUrl`'s server, empty or a copy of `template`; `drop` removes it, closing any
 * connection still open on it.
 */
async function createDatabase(adminUrl: string, prefix: string, template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await onServer(adminUrl, (admin) => admin.query(`create database ${name}${template ? ` template ${template}` : ''}`))
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      await onServer(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`))
    },
  }
}

/**
 * The migrated, empty schema as a template database on the server, named after the migrations as the
 * PGlite snapshot is: each test file copies it (CREATE DATABASE ... TEMPLATE, about 0.3 s) instead of
 * running every migration (1.5-2 s with the machine busy). The first file to find none builds it under
 * an advisory lock, and closes it to connections last: a database that takes none is complete, and a
 * copy needs a template nobody is connected to. One is left on the server per set of migrations.
 */
async function migratedTemplate(adminUrl: string): Promise<string> {
  const name = `scim_template_${migrationsKey()}`
  const complete = async (admin: pg.Client) =>
    (await admin.query<{ done: boolean }>('select not datallowconn as done from pg_database where datname = $1', [name])).rows[0]?.done
  return onServer(adminUrl, async (admin) => {
    if (await complete(admin)) return name
    await admin.query('select pg_advisory_lock(hashtext($1))', [name])
    try {
      const state = await complete(admin)
      if (state) return name
      // Left half-built by a process that died while building it.
      if (state === false) await admin.query(`drop database ${name} with (force)`)
      await admin.query(`create database ${name}`)
      const database = await openDatabase({ url: withDatabase(adminUrl, name), poolSize: 1 })
      try {
        await database.migrate()
      } finally {
        await database.close()
      }
      await admin.query(`alter database ${name} with allow_connections false`)
      return name
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [name])
    }
  })
}

/** Runs `work` on a connection of its own to `adminUrl`'s server. */
async function onServer<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.end()
  }
}

function target(name: 'pglite' | 'postgres', database: Database, url?: string): TestDatabase {
  return {
    name,
    database,
    store: new PgStores(database.db),
    ...(url ? { url } : {}),
    rows: async <T>(query: SQL | string) => {
      const result = (await database.db.execute<Record<string, unknown>>(typeof query === 'string' ? sql.raw(query) : query)) as {
        rows: T[]
      }
      return result.rows
    },
    // The change events' ids go on from where they were, as in a running service: a feed's bound (the id
    // below which nothing can still commit) stays true across tests that share one app.
    reset: () => empty(database, { keepEventIds: true }),
  }
}

/** Empties every table; with `keepEventIds: false` the database is as a new one (ids start again at 1). */
async function empty(database: Database, { keepEventIds }: { keepEventIds: boolean }): Promise<void> {
  const truncate = `truncate ${TABLES.join(', ')} restart identity cascade`
  await database.db.execute(
    sql.raw(
      keepEventIds
        ? `do $$ declare last bigint := (select last_value from change_events_id_seq where is_called);
          begin ${truncate};
          if last is not null then perform setval('change_events_id_seq', last); end if; end $$`
        : truncate,
    ),
  )
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

let container: Promise<string | undefined> | undefined

/** A PostgreSQL 15 container for developers with Docker; undefined (quietly) without an engine. */
async function containerUrl(t: Test): Promise<string | undefined> {
  container ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers')
      await getContainerRuntimeClient()
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
      const started = await new PostgreSqlContainer('postgres:15-alpine').start()
      t.teardown(() => started.stop().then(() => undefined))
      return started.getConnectionUri()
    } catch {
      return undefined
    }
  })()
  return container
}
