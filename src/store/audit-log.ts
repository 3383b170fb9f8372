import type { ChangeEventInput } from '../events/change-event.js'
import type { AuditEvent, AuditEventInput } from './records.js'

/** Each team's audit log, and the change events a write records with its entry. */
export interface AuditLog {
  appendEvent(teamId: string, event: AuditEventInput): Promise<void>
  /**
   * The audit entry of a write that changed something, and its change events for the feed and
   * webhooks, in one statement of the caller's transaction: the events commit or roll back with the
   * change.
   */
  recordChanges(teamId: string, audit: AuditEventInput, changes: readonly ChangeEventInput[]): Promise<void>
  listEvents(teamId: string, page: { limit: number; beforeId?: number | undefined }): Promise<AuditEvent[]>
  /**
   * Global by nature: retention (AUDIT_RETENTION_DAYS) applies to every team's log alike. Deletes the
   * events older than `olderThan`, team by team, at most `batchSize` rows per statement, yielding
   * between statements, and returns how many went. One process prunes at a time: when another one is
   * pruning, this call stops early (the other does the same work). It also stops between statements
   * once `signal` is aborted (shutdown).
   */
  pruneAuditEvents(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number>
}
