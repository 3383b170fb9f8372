import type { ChangeEvent } from '../events/change-event.js'

/*
 * The port of the change feed and webhook delivery. The events themselves are written
 * by AuditLog.recordChanges, inside the provisioning transaction; this port reads them and keeps
 * each webhook endpoint's delivery state. The calls without a teamId are global by nature: the
 * all-teams feed, retention, and the deliverer finding work across teams.
 */

export type WebhookChannel = 'service' | 'team'

/** One team's delivery to one URL: what the admin API shows and what the deliverer works from. */
export interface WebhookEndpointState {
  readonly teamId: string
  readonly channel: WebhookChannel
  /** The team's own URL; null on the service channel (WEBHOOK_URL). */
  readonly url: string | null
  /** The last position delivered (FEED_START before the first). */
  readonly position: number
  /** Failed attempts since the last success. */
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly delivered: number
  readonly lastDeliveredAt: Date | null
  readonly lastFailureAt: Date | null
  readonly lastError: string | null
  /** Events the feed already hands out that this endpoint has not had yet. */
  readonly pending: number
  /** When the oldest of those happened (null: none pending). */
  readonly oldestPendingAt: Date | null
}

export interface ClaimedEndpoint {
  readonly teamId: string
  readonly channel: WebhookChannel
  readonly url: string | null
  /** The team channel's own signing secret; null on the service channel and on a team URL set before secrets were issued. */
  readonly secret: string | null
  readonly position: number
  readonly attempts: number
  /**
   * This claim's token: the replica's id and one of its own, so that neither another replica nor a
   * later claim by the same one (after this lease ran out) is taken for this one.
   */
  readonly lease: string
}

/** A page of the feed. */
export interface ChangePage {
  readonly events: ChangeEvent[]
  /**
   * Where the next page starts: the last event of a full page, else the highest id below which no
   * transaction can still commit (a cursor may move there: no event can appear behind it).
   */
  readonly through: number
}

export interface EventStore {
  /**
   * The events after id `after` in id order, at most `limit`, of one team or (no teamId) of all
   * teams. Only ids below which no transaction can still commit are handed out, so a follower that
   * moves its cursor past an event can never miss one committed later.
   */
  listChanges(scope: { teamId?: string | undefined }, after: number, limit: number): Promise<ChangePage>

  /** Deletes events older than `olderThan`, like AuditLog.pruneAuditEvents (one pruner at a time). */
  pruneChanges(olderThan: Date, batchSize: number, signal?: AbortSignal): Promise<number>

  /**
   * Sets the team's own webhook URL; the cursor and the signing secret survive a URL change. A new
   * endpoint, or `rotateSecret`, gets `newSecret` as its secret: the result says whether it was taken.
   */
  setTeamWebhook(teamId: string, url: string, secret: { newSecret: string; rotateSecret: boolean }): Promise<{ secretIssued: boolean }>
  /** Removes the team's own webhook URL (its cursor and secret with it); false when it had none. */
  removeTeamWebhook(teamId: string): Promise<boolean>
  webhookStates(teamId: string): Promise<WebhookEndpointState[]>
  /**
   * Makes a service-channel row for every team that has none (WEBHOOK_URL is set); with `createdSince`,
   * only among teams created since then (an index range instead of every team).
   */
  ensureServiceEndpoints(createdSince?: Date): Promise<void>
  /**
   * Leases up to `limit` endpoints that are due and have events waiting, FOR UPDATE SKIP LOCKED: an
   * endpoint is delivered by one replica at a time, and a lease that runs out (a replica died) lets
   * another one take over from the last position delivered.
   */
  claimWebhookEndpoints(owner: string, leaseMs: number, limit: number, channels: readonly WebhookChannel[]): Promise<ClaimedEndpoint[]>
  /** Records `count` deliveries up to `position` and extends the lease; false when the lease went to another replica. */
  recordDelivery(endpoint: ClaimedEndpoint, position: number, count: number, leaseMs: number): Promise<boolean>
  /** Records a failed attempt, schedules the next and gives the lease up. */
  recordFailure(endpoint: ClaimedEndpoint, retryAt: Date, error: string): Promise<void>
  releaseWebhookEndpoint(endpoint: ClaimedEndpoint): Promise<void>
  /** Age of the oldest event a due or failing endpoint has not had (seconds; 0 when none): the lag metric. */
  oldestUndeliveredAgeSeconds(channels: readonly WebhookChannel[]): Promise<number>
}
