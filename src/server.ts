import { buildApp } from './app.js'
import { scheduleAuditPruning } from './audit-retention.js'
import { resolveAdminToken } from './auth/admin-token.js'
import { resolveCursorKey } from './auth/cursor-key.js'
import { hashToken } from './auth/tokens.js'
import { createLogger } from './http/logger.js'
import { createMetrics } from './http/metrics.js'
import { ConfigError, loadConfig } from './config.js'
import { describeError, openDatabase } from './store/pg/database.js'
import { PgStores } from './store/pg/pg-stores.js'
import { PgEventStore } from './store/pg/pg-event-store.js'
import { listenForChanges } from './store/pg/pg-change-listener.js'
import { ChangeFeed } from './events/change-feed.js'
import { ChangeSignal } from './events/change-signal.js'
import { WebhookDeliverer } from './events/webhook-deliverer.js'
import { registerEventMetrics } from './http/event-metrics.js'
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { Redis } from 'ioredis'

/** The process: configuration, database and migrations, listen, graceful shutdown. */
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(undefined, { serving: true })
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
    poolSize: config.databasePoolSize,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
  })
  if (config.migrateOnStart) {
    await database.migrate()
  } else {
    // A one-shot job owns the schema; without it the first query would fail with a less helpful message.
    await database.ping().catch((error: unknown) => {
      throw new Error('the database is unreachable or not migrated (MIGRATE_ON_START=false: run `node dist/migrate.js` first)', {
        cause: error,
      })
    })
  }
  // Change events: commits wake this process's long polls and deliverer at once, and the
  // other replicas' through PostgreSQL's LISTEN/NOTIFY (PGlite is one process: no one else to tell).
  const changes = new ChangeSignal()
  const listener = config.databaseUrl ? listenForChanges(config.databaseUrl, () => changes.notify(), logger) : undefined
  const store = new PgStores(database.db, {
    preparedStatements: config.preparedStatements,
    filterMatchBudget: config.filterMatchBudget,
    onChangesCommitted: () => {
      changes.notify()
      listener?.announce()
    },
  })
  const events = new PgEventStore(database.db)
  const admin = await resolveAdminToken(config.adminApiToken, store.settings)
  if (admin.generated) {
    // Printed once, to the terminal rather than the log stream: it is a secret.
    process.stdout.write(
      `\n  Generated an admin API token (shown once; only its hash is stored):\n\n    ${admin.generated}\n\n` +
        `  Use it as "Authorization: Bearer <token>" on /internal/v1, or set ADMIN_API_TOKEN to choose your own.\n\n`,
    )
  } else if (admin.source === 'stored') {
    logger.info('using the admin API token generated at first start (set ADMIN_API_TOKEN to replace it)')
  }
  const cursorKey = await resolveCursorKey(config.cursorSecret, store.settings)

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

  const metrics = createMetrics(database.poolStats ? () => database.poolStats!() : undefined)
  // How often the feed's waiters and the deliverer look without a wake-up: PostgreSQL wakes them
  // through LISTEN/NOTIFY, so polling is only a backstop there; PGlite has only this process's wake-ups.
  const changePollMs = database.kind === 'pglite' ? 250 : 1_000
  // One feed per process: its long polls and the deliverer's endpoints share one reader of new events.
  const feed = new ChangeFeed(events, changes, { pollMs: changePollMs })
  const deliverer = config.webhookSecret
    ? new WebhookDeliverer({
        events,
        feed,
        signal: changes,
        serviceUrl: config.webhookUrl,
        secret: config.webhookSecret,
        timeoutMs: config.webhookTimeoutMs,
        log: logger,
        observe: registerEventMetrics(metrics.registry, events, config.webhookUrl ? ['service', 'team'] : ['team']),
        pollMs: changePollMs,
      })
    : undefined

  let draining = false
  const app = await buildApp({
    store,
    ping: () => database.ping(),
    draining: () => draining,
    adminTokenHash: admin.hash,
    adminTokenPreviousHash: config.adminApiTokenPrevious ? hashToken(config.adminApiTokenPrevious) : undefined,
    cursorKey,
    publicBaseUrl: config.publicBaseUrl,
    trustProxy: config.trustProxy,
    baseUrlFromRequest: config.trustProxy !== false && !config.publicBaseUrlConfigured,
    ...(config.tls ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } } : {}),
    rateLimit: { perMinute: config.rateLimitPerMinute, redis, onRedisError: warnRedis },
    events: {
      store: events,
      signal: changes,
      feed,
      // PGlite: every commit is this process's own and wakes the feed directly; the poll is a backstop.
      pollMs: changePollMs,
      webhooks: { enabled: deliverer !== undefined, serviceUrl: config.webhookUrl },
    },
    metrics: {
      metrics,
      tokenHash: config.metricsToken ? hashToken(config.metricsToken) : undefined,
      previousTokenHash: config.metricsTokenPrevious ? hashToken(config.metricsTokenPrevious) : undefined,
    },
    logger,
  })
  // Responses not yet sent: once draining, each must tell its client to hang up (RFC 9112 §9.6),
  // or its connection turns into an idle keep-alive one that app.close() waits on for Fastify's
  // keepAliveTimeout (72 s), long after Compose (10 s) or Kubernetes (30 s) has killed the process.
  const unsent = new Set<ServerResponse>()
  const hangUpAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close')
  }
  app.server.on('request', (_request, response: ServerResponse) => {
    if (draining) return hangUpAfter(response)
    unsent.add(response)
    response.once('close', () => unsent.delete(response))
  })

  await app.listen({ port: config.port, host: config.host })
  logger.info(
    { database: database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL', publicBaseUrl: config.publicBaseUrl },
    'compound-scim ready',
  )
  const auditPruning = scheduleAuditPruning({
    store: store.audit,
    retentionDays: config.auditRetentionDays,
    events: { store: events, retentionDays: config.eventRetentionDays },
    log: logger,
  })
  // Readiness does not depend on it: a receiver that is down only grows the backlog.
  deliverer?.start()

  const shutdown = (signal: string) => {
    if (draining) return
    draining = true
    auditPruning.stop()
    // Long polls answer now; the deliverer aborts its posts in flight and gives their leases back.
    changes.close()
    const delivererStopped = deliverer?.stop() ?? Promise.resolve()
    logger.info({ signal, inFlight: unsent.size }, 'shutting down: finishing in-flight requests')
    // Exiting before the orchestrator's kill, and non-zero, says the drain did not finish.
    setTimeout(() => {
      logger.error(
        { inFlight: unsent.size, shutdownTimeoutMs: config.shutdownTimeoutMs },
        'shutdown deadline passed with requests unfinished',
      )
      process.exit(1)
    }, config.shutdownTimeoutMs).unref()
    for (const response of unsent) hangUpAfter(response)
    // app.close() stops listening, closes idle connections, answers 503 to requests arriving on open
    // ones (return503OnClosing), and resolves once the last connection has closed.
    app
      .close()
      .then(() => delivererStopped)
      .then(() => listener?.close())
      .then(() => database.close())
      .then(() => redis?.quit())
      .then(() => {
        logger.info('shutdown complete')
        process.exit(0)
      })
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  process.stderr.write(`compound-scim failed to start: ${describeError(error)}\n`)
  process.exit(1)
})
