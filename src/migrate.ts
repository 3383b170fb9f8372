import { loadConfig } from './config.js'
import { openDatabase } from './store/pg/database.js'

/** `npm run migrate`: applies the SQL migrations to DATABASE_URL, or to PGlite in DATA_DIR. */
const config = loadConfig()
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir })
await database.migrate()
await database.close()
process.stdout.write(`migrations applied (${database.kind})\n`)
