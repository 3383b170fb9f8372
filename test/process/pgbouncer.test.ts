import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { admin, scim, scimTeam, testApp } from '../helpers/app.js'
import { requiredInCI, throwawayDatabase } from '../helpers/databases.js'
import { until } from '../helpers/eventually.js'
import { freePort } from '../helpers/ports.js'

/**
 * Behind PgBouncer in transaction mode (Debian's 1.18 has no prepared-statement support there) the
 * service runs with DATABASE_PREPARED_STATEMENTS=false: the Users flow through a real PgBouncer,
 * started here on a free loopback port. Needs TEST_DATABASE_URL and the pgbouncer binary
 * (`apt-get install pgbouncer`; .ci/run installs it).
 */
const adminUrl = process.env.TEST_DATABASE_URL
const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path))
// Skipped without them on a developer's machine; in CI (which installs PgBouncer) their absence fails the file.
requiredInCI(!adminUrl ? 'needs TEST_DATABASE_URL' : !binary ? 'needs the pgbouncer binary (apt-get install pgbouncer)' : false)

if (adminUrl && binary) {
  t.test('the Users flow through PgBouncer in transaction mode', async (t) => {
    const direct = await throwawayDatabase(t, 'scim_bouncer')
    const name = new URL(direct).pathname.slice(1)
    const migrator = await openDatabase({ url: direct })
    await migrator.migrate()
    await migrator.close()

    const dir = mkdtempSync(join(tmpdir(), 'scim-bouncer-'))
    chmodSync(dir, 0o777)
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const server = new URL(adminUrl)
    const port = await freePort()
    writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n')
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `scim = host=${server.hostname} port=${server.port || 5432} dbname=${name} user=postgres`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'users.txt')}`,
        'pool_mode = transaction',
        'default_pool_size = 4',
        'max_client_conn = 100',
        // node-postgres sends these at connect; PgBouncer must let them through (set the timeout on the server).
        'ignore_startup_parameters = extra_float_digits,statement_timeout',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      ].join('\n'),
    )
    chmodSync(join(dir, 'pgbouncer.ini'), 0o644)
    chmodSync(join(dir, 'users.txt'), 0o644)
    // PgBouncer refuses to run as root; -u drops to the postgres user.
    const asRoot = process.getuid?.() === 0
    const bouncer = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: 'ignore' })
    t.teardown(() => bouncer.kill('SIGTERM'))
    const up = await until(
      () => {
        const probe = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/scim` })
        return probe.connect().then(
          () => probe.end().then(() => true),
          () => false,
        )
      },
      { timeoutMs: 5_000, everyMs: 100 },
    )
    t.ok(
      up,
      `PgBouncer answers${up ? '' : `: ${existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : 'no log'}`}`,
    )

    const database = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/scim`, poolSize: 8 })
    t.teardown(() => database.close())
    const app = await testApp({ database, store: new PgStores(database.db, { preparedStatements: false }) })
    t.teardown(() => app.close())
    const team = await scimTeam(app, 'bouncer')
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => scim(app, team, 'POST', '/Users', { userName: `u${i}@b.io` })))
    t.ok(
      created.every((r) => r.statusCode === 201),
      created.map((r) => r.statusCode).join(','),
    )
    const dupes = await Promise.all(Array.from({ length: 6 }, () => scim(app, team, 'POST', '/Users', { userName: 'same@b.io' })))
    t.same(dupes.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409])
    const found = await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('userName eq "U3@b.io"')}`)
    t.equal(found.json().totalResults, 1)
    const id = found.json().Resources[0].id as string
    const off = await scim(app, team, 'PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    t.equal(off.statusCode, 200)
    t.equal((await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('active eq false')}`)).json().totalResults, 1)
    t.equal((await admin(app, 'GET', '/teams/bouncer/members')).json().members.length, 13, 'owner + 12 active users')
  })
}
