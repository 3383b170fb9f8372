import { systemClock, type Clock } from './clock.js'
import type { EventStore } from './store/event-store.js'
import type { AuditLog } from './store/audit-log.js'

/**
 * Rows per delete statement: each statement's locks and WAL stay small, and a statement takes tens
 * of milliseconds, far under STATEMENT_TIMEOUT_MS.
 */
export const AUDIT_PRUNE_BATCH_SIZE = 5_000

const DAY_MS = 86_400_000

/**
 * Deletes the audit events older than `retentionDays` days (AUDIT_RETENTION_DAYS; 0 keeps them all).
 * What the service runs every hour and `dist/prune.js` runs once.
 */
export function pruneAuditLog(store: AuditLog, retentionDays: number, now: Date, signal?: AbortSignal): Promise<number> {
  if (retentionDays === 0) return Promise.resolve(0)
  return store.pruneAuditEvents(new Date(now.getTime() - retentionDays * DAY_MS), AUDIT_PRUNE_BATCH_SIZE, signal)
}

/**
 * Deletes the change events (the feed and webhooks) older than `retentionDays` days
 * (EVENT_RETENTION_DAYS; 0 keeps them all). A webhook receiver down for longer than that misses them.
 */
export function pruneChangeEvents(events: EventStore, retentionDays: number, now: Date, signal?: AbortSignal): Promise<number> {
  if (retentionDays === 0) return Promise.resolve(0)
  return events.pruneChanges(new Date(now.getTime() - retentionDays * DAY_MS), AUDIT_PRUNE_BATCH_SIZE, signal)
}

export interface AuditPruningOptions {
  readonly store: AuditLog
  readonly retentionDays: number
  /** The change events and their retention, pruned in the same run. */
  readonly events?: { readonly store: EventStore; readonly retentionDays: number } | undefined
  readonly log: { info(details: object, message: string): void; warn(details: object, message: string): void }
  readonly clock?: Clock
  /** The first run, after start-up has settled (ms). */
  readonly firstAfterMs?: number
  readonly everyMs?: number
}

/**
 * Every replica prunes the audit log once shortly after start and then every hour; the store lets one
 * replica at a time do it, so the others' runs end at once. The timers are unref'd (they never keep the
 * process alive), and `stop()` (shutdown) clears them and ends a run in progress after its current
 * statement, before the database closes.
 */
export function scheduleAuditPruning(options: AuditPruningOptions): { stop(): void } {
  const { store, retentionDays, events, log, clock = systemClock, firstAfterMs = 60_000, everyMs = 3_600_000 } = options
  if (retentionDays === 0 && !events?.retentionDays) return { stop: () => undefined }
  const stopping = new AbortController()
  let running = false
  const run = () => {
    // An hour is plenty for any run; should one still be going, the next one has nothing to add.
    if (running) return
    running = true
    // The two logs one after the other, each on its own: one failing does not keep the other.
    const audit = pruneAuditLog(store, retentionDays, clock(), stopping.signal).then(
      (deleted) => {
        if (deleted > 0) log.info({ deleted, retentionDays }, 'audit events pruned')
      },
      (error: unknown) => log.warn({ err: error }, 'audit pruning failed; the next run retries'),
    )
    void audit
      .then(async () => {
        if (!events) return
        try {
          const deleted = await pruneChangeEvents(events.store, events.retentionDays, clock(), stopping.signal)
          if (deleted > 0) log.info({ deleted, retentionDays: events.retentionDays }, 'change events pruned')
        } catch (error) {
          log.warn({ err: error }, 'change event pruning failed; the next run retries')
        }
      })
      .finally(() => {
        running = false
      })
  }
  const first = setTimeout(run, firstAfterMs).unref()
  const every = setInterval(run, everyMs).unref()
  return {
    stop: () => {
      clearTimeout(first)
      clearInterval(every)
      stopping.abort()
    },
  }
}
