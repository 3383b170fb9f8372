/**
 * Wakes whoever waits for change events in this process: long polls of the feed and the webhook
 * deliverer. Transactions of this process that recorded events notify it after their commit; on
 * PostgreSQL a LISTEN connection notifies it for the other replicas' commits (pg-change-listener.ts).
 * A wake-up is a hint: waiters read the feed again and fall back to polling, so a lost one costs time only.
 */
export class ChangeSignal {
  private waiters = new Set<() => void>()
  private closed = false

  notify(): void {
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const wake of waiters) wake()
  }

  /** Resolves on the next notify(), after `ms`, on `abort`, or at once once closed (shutdown). */
  wait(ms: number, abort?: AbortSignal): Promise<void> {
    if (this.closed || abort?.aborted || ms <= 0) return Promise.resolve()
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
