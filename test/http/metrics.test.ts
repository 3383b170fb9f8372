import t from 'tap'
import { buildApp } from '../../src/app.js'
import { hashToken } from '../../src/auth/tokens.js'
import { createMetrics } from '../../src/http/metrics.js'
import { ADMIN_TOKEN, scim, scimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const [db] = await testDatabases(t)

t.test('metrics: requests by route template, provisioning outcomes, pool usage; no team ids', async (t) => {
  const metrics = createMetrics(() => ({ total: 4, idle: 3, waiting: 0 }))
  const app = await buildApp({ store: db!.store, ping: () => db!.database.ping(), adminTokenHash: hashToken(ADMIN_TOKEN), publicBaseUrl: 'http://x', metrics: { metrics } })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'metrics')
  const created = (await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })).json()
  await scim(app, team, 'POST', '/Users', { userName: 'a@x.io' })
  await scim(app, team, 'PATCH', `/Users/${created.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] })
  await scim(app, team, 'PATCH', `/Users/${created.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const text = res.body
  t.match(text, /scim_http_requests_total\{method="POST",route="\/scim\/v2\/:endpointId\/Users",status="201"\} 1/)
  t.match(text, /scim_http_requests_total\{method="POST",route="\/scim\/v2\/:endpointId\/Users",status="409"\} 1/)
  t.match(text, /scim_http_request_duration_seconds_bucket\{le="[^"]+",method="PATCH",route="\/scim\/v2\/:endpointId\/Users\/:id"\}/)
  for (const outcome of ['created', 'rejected:409', 'deactivated', 'reactivated']) {
    t.match(text, new RegExp(`scim_provisioning_outcomes_total\\{resource="user",action="user\\.(create|patch)",outcome="${outcome}"\\} 1`), outcome)
  }
  t.match(text, /scim_db_pool_connections\{state="idle"\} 3/)
  t.match(text, /process_cpu_user_seconds_total/)
  t.notOk(text.includes(team.endpointId), 'no endpoint id in any label')
  t.notOk(text.includes(created.id), 'no resource id in any label')
})
