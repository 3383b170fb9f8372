import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql, type SQL } from 'drizzle-orm'
import pg from 'pg'
import type { Test } from 'tap'
import { MIGRATIONS_FOLDER, openDatabase, PGLITE_EXTENSIONS, type Database, type DatabaseOptions } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'

export interface TestDatabase {
  readonly name: 'pglite' | 'postgres'
  readonly database: Database
  readonly store: PgStores
  /** The PostgreSQL URL of this file's own database (postgres only). */
  readonly url?: string
  /** Empties every table between tests (cheaper than a new PGlite, STACK.md). */
  reset(): Promise<void>
  /** Raw rows of a query, for assertions on what is stored. */
  rows<T = Record<string, unknown>>(query: SQL | string): Promise<T[]>
}

const TABLES = [
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
 * `requiredInCI`). Each test file gets its own PostgreSQL database, created here and dropped at teardown.
 */
export async function testDatabases(t: Test, options: Pick<DatabaseOptions, 'onQuery'> = {}): Promise<TestDatabase[]> {
  const targets: TestDatabase[] = [await pgliteTarget(t, options)]
  const url = process.env.TEST_DATABASE_URL ?? (await containerUrl(t))
  requiredInCI(url ? false : 'no PostgreSQL: TEST_DATABASE_URL is unset and no Docker engine answers')
  if (url) targets.push(await postgresTarget(t, url, options))
  return targets
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
 * (2-4 s on two busy cores), and each test file is its own process, so every file paid it: the
 * first file to run migrates a fresh PGlite and dumps its data directory to a temporary file named
 * after the migrations and the PGlite version; the others load that dump (about 0.4 s). Same engine,
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
  const name = `scim_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = withDatabase(adminUrl, name)
  const database = await openDatabase({ url, poolSize: 25, ...options })
  await database.migrate()
  t.teardown(async () => {
    await database.close()
    const cleanup = new pg.Client({ connectionString: adminUrl })
    await cleanup.connect()
    await cleanup.query(`drop database if exists ${name} with (force)`)
    await cleanup.end()
  })
  return target('postgres', database, url)
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
    reset: async () => {
      await database.db.execute(sql.raw(`truncate ${TABLES.join(', ')} restart identity cascade`))
    },
  }
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
