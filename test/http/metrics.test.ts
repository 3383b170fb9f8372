import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { t } from '../helpers/file-test.js'
import { hashToken } from '../../src/auth/tokens.js'
import { createLogger } from '../../src/http/logger.js'
import { createMetrics } from '../../src/http/metrics.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const [db] = await testDatabases(t)
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

t.test('metrics: requests by route template, provisioning outcomes, pool usage; no team ids', async (t) => {
  const metrics = createMetrics(() => ({ total: 4, idle: 3, waiting: 2 }))
  const app = await testApp(db!, { metrics: { metrics } })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'metrics')
  const created = (await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })).json()
  await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })
  await scim(app, team, 'PATCH', `/Users/${created.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value: { active: false } }],
  })
  await scim(app, team, 'PATCH', `/Users/${created.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value: { active: true } }],
  })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const text = res.body
  t.match(text, /scim_http_requests_total\{method="POST",route="\/scim\/v2\/:endpointId\/Users",status="201"\} 1/)
  t.match(text, /scim_http_requests_total\{method="POST",route="\/scim\/v2\/:endpointId\/Users",status="409"\} 1/)
  t.match(text, /scim_http_request_duration_seconds_bucket\{le="[^"]+",method="PATCH",route="\/scim\/v2\/:endpointId\/Users\/:id"\}/)
  for (const outcome of ['created', 'rejected:409', 'deactivated', 'reactivated']) {
    t.match(
      text,
      new RegExp(`scim_provisioning_outcomes_total\\{resource="user",action="user\\.(create|patch)",outcome="${outcome}"\\} 1`),
      outcome,
    )
  }
  // idle and active partition the pool (4 open connections); waiting clients are not connections.
  t.match(text, /scim_db_pool_connections\{state="idle"\} 3\n/)
  t.match(text, /scim_db_pool_connections\{state="active"\} 1\n/)
  t.notMatch(text, /scim_db_pool_connections\{state="(total|waiting)"\}/)
  t.match(text, /scim_db_pool_waiting_clients 2\n/)
  t.match(text, new RegExp(`scim_build_info\\{version="${VERSION.replace(/\./g, '\\.')}"\\} 1\\n`), 'the version package.json says')
  t.match(text, /process_cpu_user_seconds_total/)
  t.notOk(text.includes(team.endpointId), 'no endpoint id in any label')
  t.notOk(text.includes(created.id), 'no resource id in any label')
})

t.test('rolling METRICS_TOKEN: current and previous open /metrics, any other token does not', async (t) => {
  const current = 'metrics-token-current-0123'
  const previous = 'metrics-token-previous-0123'
  const lines: { level: number; msg: string }[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as { level: number; msg: string })
      done()
    },
  })
  let now = new Date('2026-06-01T00:00:00.000Z')
  const app = await testApp(db!, {
    clock: () => now,
    logger: createLogger('info', sink),
    metrics: { metrics: createMetrics(), tokenHash: hashToken(current), previousTokenHash: hashToken(previous) },
  })
  t.teardown(() => app.close())
  const scrape = (token?: string) =>
    app.inject({ method: 'GET', url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} })
  const notices = () => lines.filter((l) => l.msg === 'a previous metrics token was used; finish the roll')

  t.equal((await scrape(current)).statusCode, 200, 'the current token')
  t.equal((await scrape(previous)).statusCode, 200, 'the previous token')
  t.equal((await scrape('metrics-token-third-0123456')).statusCode, 401, 'a third token')
  t.equal((await scrape()).statusCode, 401, 'no token')
  await scrape(previous)
  t.equal(notices().length, 1, 'logged once within a minute')
  t.equal(notices()[0]!.level, 30, 'at info')
  now = new Date(now.getTime() + 61_000)
  await scrape(previous)
  t.equal(notices().length, 2, 'and again a minute later')
  t.notOk(
    lines.some((l) => JSON.stringify(l).includes(previous)),
    'never the token',
  )

  const unrolled = await testApp(db!, { metrics: { metrics: createMetrics(), tokenHash: hashToken(current) } })
  t.teardown(() => unrolled.close())
  t.equal(
    (await unrolled.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${previous}` } })).statusCode,
    401,
    'unset previous changes nothing',
  )
  t.equal((await unrolled.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${current}` } })).statusCode, 200)
})
