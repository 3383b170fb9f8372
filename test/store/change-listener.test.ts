/**
 * The change listener (PostgreSQL only): a replica hears other replicas' commits through
 * LISTEN/NOTIFY, and keeps hearing them after its listening session is ended by the server
 * (a restart, a failover, pg_terminate_backend): it reconnects and listens again.
 */
import pg from 'pg'
import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import { CHANGES_CHANNEL, LISTENER_NAME, listenForChanges } from '../../src/store/pg/pg-change-listener.js'
import { testDatabases } from '../helpers/databases.js'
import { until } from '../helpers/eventually.js'

const postgres = (await testDatabases(t)).find((db) => db.name === 'postgres')

/** A listener on this file's database counting its wake-ups (`heard()`), and another session there. */
async function listenerBeside(t: Test) {
  const url = postgres!.url!
  let count = 0
  const listener = listenForChanges(url, () => count++, { warn: () => undefined })
  t.teardown(() => listener.close())
  const other = new pg.Client({ connectionString: url })
  await other.connect()
  t.teardown(() => other.end())
  return { listener, other, heard: () => count }
}

t.test(
  'a listener whose session the server ends reconnects and hears the next commit',
  { skip: !postgres && 'PostgreSQL only' },
  async (t) => {
    const { other, heard } = await listenerBeside(t)
    const listening = async () =>
      (
        await other.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where application_name = $1 and datname = current_database()`,
          [LISTENER_NAME],
        )
      ).rows[0]!.n === 1
    t.ok(await until(listening), 'listening')
    const notify = async () => {
      const before = heard()
      await other.query(`select pg_notify('${CHANGES_CHANNEL}', '')`)
      return until(() => heard() > before)
    }
    t.ok(await notify(), "hears another session's NOTIFY")

    await other.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()`,
      [LISTENER_NAME],
    )
    t.ok(await until(listening), 'a new listening session after the old one was ended')
    t.ok(
      await until(async () => {
        const before = heard()
        await other.query(`select pg_notify('${CHANGES_CHANNEL}', '')`)
        await new Promise((resolve) => setTimeout(resolve, 100))
        return heard() > before
      }),
      'and it hears NOTIFYs again',
    )
  },
)

t.test(
  "a replica's own NOTIFY does not wake it again (its commit woke it already); another's does",
  { skip: !postgres && 'PostgreSQL only' },
  async (t) => {
    const { listener, other, heard } = await listenerBeside(t)
    // The other session listens too: it tells when the listener's own NOTIFY has been committed.
    let heardByOther = 0
    other.on('notification', () => heardByOther++)
    await other.query(`listen ${CHANGES_CHANNEL}`)
    // Connecting counts one wake-up (commits made while it was away): wait for it before counting.
    t.ok(await until(() => heard() === 1), 'listening, with the wake-up on connecting')

    listener.announce()
    // Nothing else notifies on this file's database: what the other session hears first is the listener's.
    t.ok(await until(() => heardByOther === 1), "the listener's NOTIFY was committed (the other session heard it)")
    // Notifications reach a session in commit order: once it hears the next one, it has had its own.
    await other.query(`select pg_notify('${CHANGES_CHANNEL}', '')`)
    t.ok(await until(() => heard() > 1), "it hears the other session's NOTIFY")
    // Had its own counted, the count would reach 2 on it and 3 on the other's a moment later: a
    // correct listener never gets there: the pause cannot fail it, only let a wrong one show itself.
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.equal(heard(), 2, 'and only that one: its own came back first and did not count')
  },
)
