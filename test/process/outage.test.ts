import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { eventually } from '../helpers/eventually.js'
import { freePort } from '../helpers/ports.js'

/**
 * PostgreSQL stopped while the service runs: requests get 503 with a SCIM error (never a 404, a
 * 401 or a hang), /readyz turns 503, /healthz stays 200, and the service recovers by itself when
 * PostgreSQL is back. Runs on a throwaway cluster of its own (scripts/pg-cluster.sh), so it needs
 * PostgreSQL's server binaries; where they are absent (a laptop without PostgreSQL) there is
 * nothing to stop, and the file has no test to run.
 */
const binaries =
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))

if (binaries) {
  t.test('a PostgreSQL outage is a 503, and the service recovers by itself', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'scim-outage-'))
    chmodSync(dir, 0o755)
    const cluster = join(dir, 'pg')
    const port = await freePort()
    const cli = (...args: string[]) =>
      execFileSync('bash', ['scripts/pg-cluster.sh', ...args])
        .toString()
        .trim()
    const url = cli('start', cluster, String(port))
    t.teardown(() => {
      cli('stop', cluster)
      rmSync(dir, { recursive: true, force: true })
    })
    const database = await openDatabase({ url })
    t.teardown(() => database.close())
    await database.migrate()
    const app = await testApp({ database, store: new PgStores(database.db) })
    t.teardown(() => app.close())
    const team = await scimTeam(app, 'outage')
    const created = await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })
    t.equal(created.statusCode, 201)

    cli('pause', cluster)
    for (const [method, path, body] of [
      ['GET', '/Users', undefined],
      ['GET', `/Users/${created.json().id}`, undefined],
      ['POST', '/Users', { userName: 'b@x.io' }],
    ] as const) {
      const res = await scim(app, team, method, path, body)
      t.equal(res.statusCode, 503, `${method} ${path} during the outage`)
      t.same(res.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
      t.ok(res.headers['retry-after'], 'with Retry-After')
    }
    // A hang would end this file at tap's timeout; a refused connection fails at once (database.ts).
    t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503)
    t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)

    cli('resume', cluster, String(port))
    const ready = await eventually(
      async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode,
      (status) => status === 200,
      { timeoutMs: 10_000, everyMs: 200 },
    )
    t.equal(ready, 200, 'ready again without a restart')
    const after = await scim(app, team, 'GET', '/Users')
    t.equal(after.statusCode, 200)
    t.equal(after.json().totalResults, 1, 'nothing was half-written during the outage')
  })
}
