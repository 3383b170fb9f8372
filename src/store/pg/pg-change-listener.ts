import pg from 'pg'

/** The channel every replica LISTENs on and NOTIFYs after a commit that recorded change events. */
export const CHANGES_CHANNEL = 'scim_change_events'

/** The listener's application_name, so that an operator (and a test) can find its session. */
export const LISTENER_NAME = 'compound-scim change listener'

export interface ChangeListener {
  /** Tells every replica (this one too) that events were committed; coalesced, never awaited. */
  announce(): void
  close(): Promise<void>
}

/**
 * A PostgreSQL session of its own that LISTENs for other replicas' commits and calls `onChange`,
 * and sends this replica's NOTIFYs after its commits. NOTIFY is sent after the commit rather than in
 * the writing transaction: a NOTIFY in a transaction serialises its commit with every other one that
 * notifies (a database-wide lock), which would cost every write. A notification lost to a crash or a
 * lost connection costs the followers a poll interval, never an event. Reconnects after a second.
 */
export function listenForChanges(url: string, onChange: () => void, log: { warn(details: object, message: string): void }): ChangeListener {
  let client: pg.Client | undefined
  let closed = false
  let sending = false
  let again = false
  let retry: NodeJS.Timeout | undefined

  const connect = async () => {
    if (closed) return
    // Keepalive: a connection a network device dropped silently would otherwise look alive for good,
    // and the followers would fall back to polling without anyone knowing.
    const next = new pg.Client({ connectionString: url, keepAlive: true, application_name: LISTENER_NAME })
    // This replica's own NOTIFYs come back on the session that sent them: its commits woke it already.
    next.on('notification', (message) => {
      if (message.processId !== (next as unknown as { processID?: number }).processID) onChange()
    })
    const lost = (error?: Error) => {
      if (client === next) client = undefined
      if (closed) return
      log.warn({ err: error }, 'change listener connection lost; reconnecting')
      next.end().catch(() => undefined)
      schedule()
    }
    next.on('error', lost)
    // A connection the server ended (a restart, pg_terminate_backend) may end without an error.
    next.on('end', () => {
      if (client === next) lost()
    })
    try {
      await next.connect()
      await next.query(`listen ${CHANGES_CHANNEL}`)
      if (closed) return void (await next.end())
      client = next
      // Commits made while disconnected announced nothing: followers read again.
      onChange()
    } catch (error) {
      log.warn({ err: error }, 'change listener could not connect; retrying')
      next.end().catch(() => undefined)
      schedule()
    }
  }
  const schedule = () => {
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, 1_000)
    retry.unref()
  }
  const send = () => {
    if (!client || closed) return
    if (sending) {
      again = true
      return
    }
    sending = true
    client
      .query(`select pg_notify('${CHANGES_CHANNEL}', '')`)
      .catch(() => undefined)
      .finally(() => {
        sending = false
        if (again) {
          again = false
          send()
        }
      })
  }
  void connect()
  return {
    announce: send,
    close: async () => {
      closed = true
      if (retry) clearTimeout(retry)
      await client?.end().catch(() => undefined)
      client = undefined
    },
  }
}
