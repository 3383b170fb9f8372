/**
 * What the files of a group share (test/helpers/databases.ts), on PGlite and PostgreSQL: the databases
 * a process opens once, emptied for each file after the first as new ones would be (ids from 1), a store
 * of each file's own, and a statement watcher that hears only its own file's statements.
 */
import { sql } from 'drizzle-orm'
import type { Test } from 'tap'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { t } from '../helpers/file-test.js'

async function writeTeamAndEvent(db: TestDatabase): Promise<number> {
  await db.rows(sql`insert into teams (id, name) values ('shared', 'Shared')`)
  await db.store.audit.recordChanges('shared', { source: 'admin', action: 'test', outcome: 'ok' }, [{ kind: 'member.added', changes: {} }])
  const [row] = await db.rows<{ id: string }>(sql`select max(id)::text as id from change_events`)
  return Number(row!.id)
}

// Two files one after the other, as a group runs them: each asks for the databases with its own test.
const asFile = <T>(name: string, body: (t: Test) => Promise<T>) => {
  let result!: T
  return t.test(name, async (t) => void (result = await body(t))).then(() => result)
}

const first = await asFile('a file', async (t) => {
  const dbs = await testDatabases(t)
  for (const db of dbs) t.ok((await writeTeamAndEvent(db)) >= 1, `${db.name}: it writes`)
  return dbs
})

const seen: string[] = []
await asFile('the next file', async (t) => {
  const dbs = await testDatabases(t, { onQuery: (text) => seen.push(text) })
  t.equal(dbs.length, first.length)
  for (const [i, db] of dbs.entries()) {
    t.equal(db.database, first[i]!.database, `${db.name}: the same database, opened once`)
    t.not(db.store, first[i]!.store, `${db.name}: a store of its own`)
    t.same(await db.rows(sql`select id from teams`), [], `${db.name}: what the file before wrote is gone`)
    t.equal(await writeTeamAndEvent(db), 1, `${db.name}: ids start again at 1, as in a new database`)
  }
  t.ok(seen.length > 0, 'its watcher hears its statements')
})

await asFile('a file after it', async (t) => {
  const heard = seen.length
  const dbs = await testDatabases(t)
  for (const db of dbs) await db.rows(sql`select 1`)
  t.equal(seen.length, heard, 'the watcher of the file before hears nothing of this one')
})
