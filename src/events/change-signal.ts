/**
 * Wakes whoever waits for change events in this process: long polls of the feed and the webhook
 * deliverer. Transactions of this process that recorded events notify it after their commit; on
 * PostgreSQL a LISTEN connection notifies it for the other replicas' commits (pg-change-listener.ts).
 * A wake-up is a hint: waiters read the feed again and fall back to polling, so a lost one costs time only.
 */
export class ChangeSignal {
  private waiters = new Set<() => void>()
  private closed = false
  private notified = 0

  /**
   * Counts notify() calls: a waiter that reads between two waits passes the count it saw before its
   * read, and a commit that came during the read ends the next wait at once instead of being missed.
   */
  get generation(): number {
    return this.notified
  }

  notify(): void {
    this.notified++
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const wake of waiters) wake()
  }

  /**
   * Resolves on the next notify(), after `ms`, on `abort`, or at once once closed (shutdown), or when
   * a notify() came since `generation` was read.
   */
  wait(ms: number, abort?: AbortSignal, since?: number): Promise<void> {
    if (this.closed || abort?.aborted || ms <= 0 || (since !== undefined && since !== this.notified)) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        abort?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
      abort?.addEventListener('abort', done, { once: true })
    })
  }

  /** Ends every wait now and every later one at once: shutdown must not wait for long polls. */
  close(): void {
    this.closed = true
    this.notify()
  }

  get isClosed(): boolean {
    return this.closed
  }
}
