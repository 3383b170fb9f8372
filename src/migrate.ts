import { ConfigError, loadConfig } from './config.js'
import { describeError, openDatabase } from './store/pg/database.js'

/**
 * `npm run migrate` / `node dist/migrate.js`: applies the SQL migrations to DATABASE_URL, or to PGlite
 * in DATA_DIR, and exits: the one-shot job for deployments that start the service with
 * MIGRATE_ON_START=false. On PostgreSQL it takes the same advisory lock as the service's own start,
 * so it may run while replicas start.
 */
try {
  const config = loadConfig()
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir })
  try {
    await database.migrate()
  } finally {
    await database.close()
  }
  process.stdout.write(`migrations applied (${database.kind})\n`)
} catch (error) {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `migrations failed: ${describeError(error)}\n`)
  process.exit(error instanceof ConfigError ? 2 : 1)
}
