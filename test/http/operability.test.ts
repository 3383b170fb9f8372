import { t } from '../helpers/file-test.js'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/http/logger.js'
import { openDatabase } from '../../src/store/pg/database.js'
import { PgStores } from '../../src/store/pg/pg-stores.js'
import { StoreTimeout } from '../../src/store/store-errors.js'
import type { Stores } from '../../src/store/stores.js'
import { admin, ADMIN_TOKEN, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const [db] = await testDatabases(t)

t.test('logs never carry a token or an Authorization header', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const logger = createLogger('trace', sink)
  const app = await testApp(db!, { logger })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'logs')
  await scim(app, team, 'POST', '/Users', { userName: 'a@x.io', password: 'hunter2-secret' })
  await scim(app, { ...team, token: 'cpscim_wrong-token-value' }, 'GET', '/Users')
  const rotated = (await admin(app, 'POST', '/teams/logs/scim/rotate', { actor: team.ownerAccountId })).json().token as string
  logger.info({ req: { headers: { authorization: `Bearer ${team.token}` } }, token: rotated }, 'a careless log line')
  const text = lines.join('')
  // Three admin calls to set the team up, two SCIM calls and a rotation: one completion line each.
  t.equal(lines.filter((l) => l.includes('"msg":"request completed"')).length, 6, 'requests were logged')
  for (const secret of [ADMIN_TOKEN, team.token, rotated, 'cpscim_wrong-token-value', 'hunter2-secret']) {
    t.notOk(text.includes(secret), `no ${secret.slice(0, 10)}… in the log`)
  }
  t.match(text, /\[redacted\]/, 'the careless line was redacted')
})

t.test('X-Request-Id is kept when sane, made up otherwise, and echoed; SCIM log lines name the team', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const logger = createLogger('info', sink)
  const app = await testApp(db!, { logger })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'rid')
  const kept = await scim(app, team, 'GET', '/Users', undefined, { 'x-request-id': 'okta-req-123' })
  t.equal(kept.headers['x-request-id'], 'okta-req-123')
  const made = await scim(app, team, 'GET', '/Users', undefined, { 'x-request-id': 'bad id with spaces\u0000' })
  t.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.match((await app.inject({ method: 'GET', url: '/healthz' })).headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const mine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === 'okta-req-123')
  t.equal(mine.length, 1, 'one line per request, written when it completes')
  const [line] = mine
  t.equal(line?.msg, 'request completed')
  t.same([line?.teamId, line?.endpointId], ['rid', team.endpointId])
  t.match(line, { req: { method: 'GET', route: '/scim/v2/:endpointId/Users' }, res: { statusCode: 200 } }, 'with the route and its status')
  t.type(line?.responseTime, 'number')
  await scim(app, team, 'GET', '/Users?filter=userName%20eq', undefined, { 'x-request-id': 'okta-req-400' })
  const rejected = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === 'okta-req-400')
  t.same(
    rejected.map((l) => [l.msg, l.teamId, l.endpointId]),
    [
      ['request rejected', 'rid', team.endpointId],
      ['request completed', 'rid', team.endpointId],
    ],
    'the rejection names the team too',
  )
})

t.test('a statement timeout: a list is 400 tooMany with advice, a write is 503, and nothing is written', async (t) => {
  await db!.reset()
  const base = await testApp(db!)
  const team = await scimTeam(base, 'timeouts')
  await base.close()
  // The store as the pg adapter behaves when PostgreSQL cancels a statement (errors.ts maps 57014).
  const timingOut = new Proxy(db!.store, {
    get(target, name, receiver) {
      // A create writes through insertUserWithNewAccount (a new person) or createAccount (the general path).
      if (name === 'users' || name === 'accounts')
        return new Proxy(target[name], {
          get: (port, method, self) =>
            method === 'listUsers' || method === 'createAccount' || method === 'insertUserWithNewAccount'
              ? async () => Promise.reject(new StoreTimeout())
              : (Reflect.get(port, method, self) as unknown),
        })
      if (name === 'transaction') return (work: (tx: Stores) => Promise<unknown>) => target.transaction((tx) => work(new Proxy(tx, this)))
      return Reflect.get(target, name, receiver)
    },
  })
  const app = await testApp({ database: db!.database, store: timingOut })
  t.teardown(() => app.close())
  const list = await scim(app, team, 'GET', `/Users?filter=${encodeURIComponent('displayName co "zq"')}`)
  t.equal(list.statusCode, 400)
  t.equal(list.json().scimType, 'tooMany')
  const write = await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })
  t.equal(write.statusCode, 503)
  t.same(write.json().schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'])
  t.same(await db!.rows(`select id from scim_users`), [])
})

t.test('a body over the limit is 413 with a SCIM error, and changes nothing', async (t) => {
  const app = await testApp(db!)
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'big-body')
  const res = await scim(app, team, 'POST', '/Users', { userName: 'a@x.io', title: 'x'.repeat(2 * 1024 * 1024) })
  t.equal(res.statusCode, 413)
  t.equal(res.json().status, '413')
  t.equal((await scim(app, team, 'GET', '/Users')).json().totalResults, 0)
  const adminRes = await admin(app, 'PUT', '/teams/big-body', { body: { name: 'x'.repeat(2 * 1024 * 1024), owner: { email: 'o@x.io' } } })
  t.equal(adminRes.statusCode, 413)
  t.equal(adminRes.json().error.code, 'payload_too_large')
})

t.test('lastUsedAt is written at most once a minute', async (t) => {
  let now = new Date('2026-01-01T00:00:00.000Z')
  const app = await testApp(db!, { clock: () => now })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'usage')
  const lastUsed = async () =>
    (await admin(app, 'GET', '/teams/usage/scim', { actor: team.ownerAccountId })).json().lastUsedAt as string | null
  t.equal(await lastUsed(), null)
  await scim(app, team, 'GET', '/Users')
  const first = await lastUsed()
  t.type(first, 'string')
  await db!.rows(`update scim_connections set last_used_at = '2026-01-01T00:00:00Z'`)
  now = new Date('2026-01-01T00:00:30.000Z')
  await scim(app, team, 'GET', '/Users')
  t.equal(await lastUsed(), '2026-01-01T00:00:00.000Z', 'no write within the minute')
  now = new Date('2026-01-01T00:01:01.000Z')
  await scim(app, team, 'GET', '/Users')
  t.not(await lastUsed(), '2026-01-01T00:00:00.000Z', 'written again after a minute')
})

t.test('/healthz answers while /readyz reports an unreachable database as 503', async (t) => {
  const down = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/none' })
  t.teardown(() => down.close())
  const app = await testApp({ database: down, store: new PgStores(down.db) })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  const scimCall = await app.inject({ method: 'GET', url: '/scim/v2/abc/Users', headers: { authorization: 'Bearer cpscim_x' } })
  t.equal(scimCall.statusCode, 503, 'a SCIM call during an outage is 503, never 401 or 404')
  t.equal(scimCall.json().status, '503')
  const adminCall = await admin(app, 'GET', '/teams/t1/members')
  t.equal(adminCall.statusCode, 503)
  t.equal(adminCall.json().error.code, 'service_unavailable')
  const ok = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ok.statusCode, 503)
  const app2 = await testApp(db!)
  t.teardown(() => app2.close())
  t.equal((await app2.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})
