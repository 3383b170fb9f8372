import type { ChangeEvent } from './change-event.js'
import type { ChangeSignal } from './change-signal.js'
import type { EventStore } from '../store/event-store.js'

export interface FeedRequest {
  /** One team's events; undefined: every team's. */
  readonly teamId?: string | undefined
  /** The id of the last event the follower has (FEED_START for the beginning). */
  readonly after: number
  readonly limit: number
  /** Long polling: how long to wait for an event when there is none yet (ms; 0 answers at once). */
  readonly waitMs: number
  /** The client went away: stop waiting. */
  readonly abort?: AbortSignal
}

/**
 * The feed the Compound app follows (issue #17): events after a cursor, oldest first, waiting up to
 * `waitMs` for the first one. A wake-up (ChangeSignal) reads again at once; without one, the feed is
 * read every `pollMs`. A wake-up that finds nothing yet (the bound still waits for an older
 * transaction) reads again after `settleMs`, until the next wake-up or poll.
 */
export class ChangeFeed {
  constructor(
    private readonly events: EventStore,
    private readonly signal: ChangeSignal,
    private readonly options: { pollMs: number; settleMs?: number } = { pollMs: 1_000 },
  ) {}

  async read(request: FeedRequest): Promise<ChangeEvent[]> {
    const deadline = Date.now() + request.waitMs
    let woken = false
    for (;;) {
      const events = await this.events.listChanges({ teamId: request.teamId }, request.after, request.limit)
      const left = deadline - Date.now()
      if (events.length > 0 || left <= 0 || request.abort?.aborted || this.signal.isClosed) return events
      const started = Date.now()
      const pause: number = woken ? (this.options.settleMs ?? 20) : this.options.pollMs
      await this.signal.wait(Math.min(left, pause), request.abort)
      // Woken before the pause ran out: a commit somewhere; its event may need a moment to pass the bound.
      woken = Date.now() - started < pause - 1
    }
  }
}
