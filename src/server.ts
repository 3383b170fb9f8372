import { buildApp } from './app.js'
import { resolveAdminToken } from './auth/admin-token.js'
import { hashToken } from './auth/tokens.js'
import { createLogger } from './http/logger.js'
import { createMetrics } from './http/metrics.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './store/pg/database.js'
import { PgTeamStore } from './store/pg/pg-team-store.js'
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'

/** The process: configuration, database and migrations, listen, graceful shutdown. */
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const logger = createLogger(config.logLevel)
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    statementTimeoutMs: config.statementTimeoutMs,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
  })
  await database.migrate()
  const store = new PgTeamStore(database.db, false, { preparedStatements: config.preparedStatements, filterMatchBudget: config.filterMatchBudget })
  const admin = await resolveAdminToken(config.adminApiToken, store)
  if (admin.generated) {
    // Printed once, to the terminal rather than the log stream: it is a secret.
    process.stdout.write(
      `\n  Generated an admin API token (shown once; only its hash is stored):\n\n    ${admin.generated}\n\n` +
        `  Use it as "Authorization: Bearer <token>" on /internal/v1, or set ADMIN_API_TOKEN to choose your own.\n\n`,
    )
  } else if (admin.source === 'stored') {
    logger.info('using the admin API token generated at first start (set ADMIN_API_TOKEN to replace it)')
  }

  // Rate-limit counters shared by replicas; commands fail fast while Redis is away (the store then
  // counts in-process), and the client keeps reconnecting in the background.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, lazyConnect: false })
    : undefined
  let lastRedisWarning = 0
  const warnRedis = (error: Error) => {
    if (Date.now() - lastRedisWarning < 60_000) return
    lastRedisWarning = Date.now()
    logger.warn({ err: error }, 'Redis unavailable: rate limits count per process')
  }
  redis?.on('error', warnRedis)

  const app = await buildApp({
    store,
    ping: () => database.ping(),
    adminTokenHash: admin.hash,
    publicBaseUrl: config.publicBaseUrl,
    trustProxy: config.trustProxy,
    baseUrlFromRequest: config.trustProxy !== false && !config.publicBaseUrlConfigured,
    ...(config.tls ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } } : {}),
    rateLimit: { perMinute: config.rateLimitPerMinute, redis, onRedisError: warnRedis },
    metrics: {
      metrics: createMetrics(database.poolStats ? () => database.poolStats!() : undefined),
      tokenHash: config.metricsToken ? hashToken(config.metricsToken) : undefined,
    },
    logger,
  })
  await app.listen({ port: config.port, host: config.host })
  logger.info(
    { database: database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL', publicBaseUrl: config.publicBaseUrl },
    'compound-scim ready',
  )

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    // app.close() stops accepting connections and waits for in-flight requests to finish.
    app
      .close()
      .then(() => database.close())
      .then(() => redis?.quit())
      .then(() => process.exit(0))
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error) => {
  process.stderr.write(`compound-scim failed to start: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
