import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import t from 'tap'
import { openDatabase } from '../../src/store/pg/database.js'

// The entry points as an operator runs them: the service refusing a production start that would hand
// identity providers a wrong endpoint URL, and the one-shot prune (`node dist/prune.js`) in the same
// production environment, which builds no URL.

function run(script: string, env: Record<string, string>) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: child.status, output: `${child.stdout}${child.stderr}` }
}

const dataDir = mkdtempSync(join(tmpdir(), 'scim-prune-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

t.test('NODE_ENV=production without PUBLIC_BASE_URL: the service does not start, and says why', async (t) => {
  const refused = run('src/server.ts', { NODE_ENV: 'production', TRUST_PROXY: 'true', DATA_DIR: dataDir, PORT: '0' })
  t.equal(refused.status, 2, 'a configuration error')
  t.match(
    refused.output,
    /PUBLIC_BASE_URL: required when NODE_ENV=production; without it endpoint URLs are built from whatever host the admin API was called on/,
  )
  t.notMatch(refused.output, /compound-scim ready/)
})

t.test('npm run prune: deletes the events older than AUDIT_RETENTION_DAYS and EVENT_RETENTION_DAYS once, in production too', async (t) => {
  t.equal(run('src/migrate.ts', { DATA_DIR: dataDir }).status, 0, 'migrated')
  const seed = await openDatabase({ dataDir })
  await seed.db.execute(sql`insert into teams (id, name) values ('t1', 'T1')`)
  await seed.db.execute(sql`
    insert into audit_events (team_id, at, source, action, outcome)
    select 't1', now() - make_interval(days => d), 'scim', 'user.create', 'created' from unnest(array[400, 200, 31, 29, 1]) d`)
  // Change events go after EVENT_RETENTION_DAYS, 30 unless set.
  await seed.db.execute(sql`
    insert into change_events (team_id, at, kind, changes)
    select 't1', now() - make_interval(days => d), 'member.added', '{}' from unnest(array[45, 31, 29, 1]) d`)
  await seed.close()

  const kept = run('src/prune.ts', { NODE_ENV: 'production', DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: '0', EVENT_RETENTION_DAYS: '0' })
  t.equal(kept.status, 0, kept.output)
  t.match(kept.output, /AUDIT_RETENTION_DAYS=0: every audit event is kept/)
  t.match(kept.output, /EVENT_RETENTION_DAYS=0: every change event is kept/)
  const pruned = run('src/prune.ts', { NODE_ENV: 'production', DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: '30' })
  t.equal(pruned.status, 0, pruned.output)
  t.match(pruned.output, /deleted 3 audit events older than 30 days/)
  t.match(pruned.output, /deleted 2 change events older than 30 days/)

  const check = await openDatabase({ dataDir })
  t.teardown(() => check.close())
  const rows = (await check.db.execute<{ n: number }>(sql`select count(*)::int as n from audit_events`)) as {
    rows: { n: number }[]
  }
  t.equal(rows.rows[0]!.n, 2, 'the events of the last 30 days stay')
})
