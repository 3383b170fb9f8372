import { pruneAuditLog, pruneChangeEvents } from './audit-retention.js'
import { ConfigError, loadConfig } from './config.js'
import { describeError, openDatabase } from './store/pg/database.js'
import { PgEventStore } from './store/pg/pg-event-store.js'
import { PgStores } from './store/pg/pg-stores.js'

/**
 * `npm run prune` / `node dist/prune.js`: deletes the audit events older than AUDIT_RETENTION_DAYS
 * and the change events older than EVENT_RETENTION_DAYS once and exits, for operators who schedule it (cron, a Kubernetes CronJob) rather than rely on the
 * replicas' hourly run. It may run beside them: one process prunes at a time, and a run that finds
 * another one pruning stops early, leaving the rest to that one.
 */
try {
  const config = loadConfig()
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    statementTimeoutMs: config.statementTimeoutMs,
  })
  try {
    if (config.auditRetentionDays === 0) process.stdout.write('AUDIT_RETENTION_DAYS=0: every audit event is kept, nothing to prune\n')
    else {
      const deleted = await pruneAuditLog(new PgStores(database.db).audit, config.auditRetentionDays, new Date())
      process.stdout.write(`deleted ${deleted} audit events older than ${config.auditRetentionDays} days\n`)
    }
    if (config.eventRetentionDays === 0) process.stdout.write('EVENT_RETENTION_DAYS=0: every change event is kept, nothing to prune\n')
    else {
      const deleted = await pruneChangeEvents(new PgEventStore(database.db), config.eventRetentionDays, new Date())
      process.stdout.write(`deleted ${deleted} change events older than ${config.eventRetentionDays} days\n`)
    }
  } finally {
    await database.close()
  }
} catch (error) {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `pruning failed: ${describeError(error)}\n`)
  process.exit(error instanceof ConfigError ? 2 : 1)
}
