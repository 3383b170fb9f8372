import { mkdirSync } from 'node:fs'
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

/** The extensions the migrations create; PGlite loads them per instance (STACK.md). */
const PGLITE_EXTENSIONS = { pg_trgm }

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
  /** An already open PGlite (tests share one per file, see STACK.md). */
  readonly pglite?: PGlite
  readonly poolSize?: number
  /** PostgreSQL cancels any statement running longer (ms); PGlite has no equivalent. */
  readonly statementTimeoutMs?: number
  readonly onPoolError?: (error: Error) => void
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
  const db = drizzleNodePg(pool, { schema }) as unknown as Db
  return {
    kind: 'postgres',
    db,
    migrate: () => migrateNodePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    ping: () => ping(db),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let client = options.pglite
  if (!client) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
    client = await PGlite.create(options.dataDir ?? 'memory://', { extensions: PGLITE_EXTENSIONS })
  }
  const owned = !options.pglite
  const db = drizzlePglite(client, { schema }) as unknown as Db
  const pglite = client
  return {
    kind: 'pglite',
    db,
    migrate: () => migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
    ping: () => ping(db),
    close: async () => {
      if (owned) await pglite.close()
    },
  }
}

/** Ready means reachable and migrated: the last table of the schema must exist. */
async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1 from ${schema.serviceSettings} limit 1`)
}
