import { inspect } from 'node:util'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { sql } from 'drizzle-orm'
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres'
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import * as schema from './schema.js'

/** The drizzle handle both drivers share: the store is written once against it. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

/** Same depth under src/ and dist/, so the path holds for `tsx` and for the built service. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url))

/** The extensions the migrations create; PGlite loads them per instance. */
export const PGLITE_EXTENSIONS = { pg_trgm }

export interface Database {
  readonly kind: 'pglite' | 'postgres'
  readonly db: Db
  /** Applies pending migrations (idempotent). */
  migrate(): Promise<void>
  /** Connection pool usage (PostgreSQL; PGlite has one connection and no pool). */
  poolStats?(): { total: number; idle: number; waiting: number }
  /** Throws unless the database answers and the migrations are applied. */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** A postgres:// URL; undefined opens PGlite. */
  readonly url?: string | undefined
  /** PGlite's directory; undefined keeps PGlite in memory (tests). */
  readonly dataDir?: string | undefined
  /** An already open PGlite (tests share one per file: booting one costs seconds). */
  readonly pglite?: PGlite
  readonly poolSize?: number
  /** PostgreSQL cancels any statement running longer (ms); PGlite has no equivalent. */
  readonly statementTimeoutMs?: number
  readonly onPoolError?: (error: Error) => void
  /** Called with the text of every statement drizzle sends (tests count the statements a request costs). */
  readonly onQuery?: (text: string) => void
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options)
  return openPglite(options)
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // Fail fast while PostgreSQL is down: requests get a 503 instead of waiting in the pool.
    connectionTimeoutMillis: 5_000,
    // Nothing runs for seconds: a runaway filter is cancelled well under Entra's 60-second limit.
    statement_timeout: options.statementTimeoutMs ?? 10_000,
  })
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', (error) => options.onPoolError?.(error))
  const db = drizzleNodePg(pool, { schema, ...queryLogger(options) }) as unknown as Db
  return {
    kind: 'postgres',
    db,
    migrate: () => migrateUnderLock(url),
    ping: () => ping(db),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  }
}

/**
 * The advisory lock key every replica and `dist/migrate.js` take around migrations; fixed for good,
 * since processes of different versions must still exclude each other (ASCII "scimmigr" as an int8).
 */
const MIGRATION_LOCK_KEY = '8314605255764043634'

/**
 * drizzle's migrator takes no lock: replicas starting together on an empty database each run
 * `CREATE SCHEMA IF NOT EXISTS drizzle` and the first migration, and all but one fail on duplicate
 * keys in pg_namespace and pg_type (IF NOT EXISTS does not serialise concurrent creators). A
 * session-level advisory lock makes them take turns; whoever comes second finds nothing to apply.
 * It runs on a connection of its own, outside the pool: the lock belongs to that session, and
 * neither the wait nor a migration that rewrites a large table is cut short by the request path's
 * statement timeout.
 */
async function migrateUnderLock(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  // A connection lost mid-migration rejects the statement in flight, which is the error reported.
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await migrateNodePg(drizzleNodePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER })
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
  } finally {
    // Ending the session also releases the lock when a migration failed while holding it; a failure
    // to end must not hide the migration's own error.
    await client.end().catch(() => undefined)
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let client = options.pglite
  if (!client) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
    client = await PGlite.create(options.dataDir ?? 'memory://', { extensions: PGLITE_EXTENSIONS })
  }
  const owned = !options.pglite
  const db = drizzlePglite(client, { schema, ...queryLogger(options) }) as unknown as Db
  const pglite = client
  return {
    kind: 'pglite',
    db,
    // One process at a time can open a PGlite directory, so there is no one to take turns with.
    migrate: () => migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    ping: () => ping(db),
    close: async () => {
      if (owned) await pglite.close()
    },
  }
}

/** drizzle's logger, when the caller watches statements (PGlite's own BEGIN and COMMIT do not pass through it). */
function queryLogger({ onQuery }: DatabaseOptions): { logger?: { logQuery(text: string): void } } {
  return onQuery ? { logger: { logQuery: (text: string) => onQuery(text) } } : {}
}

/** Ready means reachable and migrated: the last table of the schema must exist. */
async function ping(db: Db): Promise<void> {
  const result = (await db.execute<{ last: unknown }>(sql`select max(created_at) as last from drizzle.__drizzle_migrations`)) as {
    rows: { last: unknown }[]
  }
  const applied = Number(result.rows[0]?.last ?? 0)
  const latest = latestMigration()
  // A replica started with MIGRATE_ON_START=false must not serve a schema older than its code.
  if (applied < latest.when)
    throw new Error(`the database is not migrated: ${latest.tag} (and perhaps others) is not applied; run dist/migrate.js`)
}

let latestEntry: { tag: string; when: number } | undefined

/** The newest migration this build ships (drizzle-kit's journal: `when` is what the migrator records as created_at). */
function latestMigration(): { tag: string; when: number } {
  latestEntry ??= (() => {
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: { tag: string; when: number }[]
    }
    const last = journal.entries.at(-1)
    if (!last) throw new Error(`no migrations in ${MIGRATIONS_FOLDER}`)
    return last
  })()
  return latestEntry
}

/** What PostgreSQL says besides its message (pg's DatabaseError fields), in the order worth reading. */
const POSTGRES_FIELDS = ['code', 'detail', 'hint', 'where', 'schema', 'table', 'constraint'] as const

/**
 * An error and its causes, for a crash message: drizzle wraps a driver error as DrizzleQueryError
 * ("Failed query: <sql>") with PostgreSQL's error on `.cause`, and a stack shows neither that cause
 * nor the SQLSTATE, detail or hint that say what went wrong. The stack follows, for the code path.
 */
export function describeError(error: unknown): string {
  const lines: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const prefix = depth === 0 ? '' : 'caused by: '
    if (!(current instanceof Error)) {
      lines.push(`${prefix}${inspect(current)}`)
      break
    }
    lines.push(`${prefix}${current.message || current.name}`)
    const fields = current as unknown as Partial<Record<(typeof POSTGRES_FIELDS)[number], unknown>>
    for (const field of POSTGRES_FIELDS) {
      const value = fields[field]
      if (typeof value === 'string' || typeof value === 'number') lines.push(`  ${field}: ${value}`)
    }
    // A refused connection to "localhost" is an AggregateError with an empty message: one per address tried.
    if (current instanceof AggregateError)
      for (const inner of current.errors) lines.push(`  ${inner instanceof Error ? inner.message : String(inner)}`)
    current = current.cause
  }
  if (error instanceof Error && error.stack) lines.push(error.stack)
  return lines.join('\n')
}
