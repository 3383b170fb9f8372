import { t } from '../helpers/file-test.js'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { admin, ADMIN_TOKEN, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const [db] = await testDatabases(t)
const publicBaseUrl = 'http://localhost:8080'

t.test('behind a TLS-terminating proxy, URLs carry the public https origin', async (t) => {
  const app = await testApp(db!, { publicBaseUrl, trustProxy: true, baseUrlFromRequest: true })
  t.teardown(() => app.close())
  await db!.reset()
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'scim.example.com' }
  const team = await scimTeam(app, 'proxied')
  const enabled = await app.inject({
    method: 'POST',
    url: '/internal/v1/teams/proxied/scim/rotate',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-actor-id': team.ownerAccountId, ...forwarded },
  })
  t.match(enabled.json().endpointUrl, /^https:\/\/scim\.example\.com\/scim\/v2\/[0-9a-f]{32}\/$/)
  const created = await scim(app, { ...team, token: enabled.json().token }, 'POST', '/Users', { userName: 'a@x.io' }, forwarded)
  t.match(created.headers.location, /^https:\/\/scim\.example\.com\/scim\/v2\//)
  t.equal(created.json().meta.location, created.headers.location)
})

t.test('without trusting a proxy, forwarded headers change nothing', async (t) => {
  const app = await testApp(db!, { publicBaseUrl })
  t.teardown(() => app.close())
  await db!.reset()
  const team = await scimTeam(app, 'direct')
  const created = await scim(
    app,
    team,
    'POST',
    '/Users',
    { userName: 'a@x.io' },
    { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
  )
  t.match(created.headers.location, /^http:\/\/localhost:8080\/scim\/v2\//)
  t.equal(
    (await admin(app, 'GET', '/teams/direct/scim', { actor: team.ownerAccountId })).json().endpointUrl.startsWith('http://localhost:8080/'),
    true,
  )
})

t.test('serves HTTPS itself with a given certificate and key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scim-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  const cert = readFileSync(join(dir, 'cert.pem'))
  const app = await testApp(db!, { publicBaseUrl, https: { cert, key: readFileSync(join(dir, 'key.pem')) } })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const body = await new Promise<{ status: number; text: string; protocol: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca: cert }, (res) => {
      const protocol = (res.socket as { getProtocol?: () => string | null }).getProtocol?.() ?? ''
      let text = ''
      res.on('data', (chunk) => (text += String(chunk)))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, protocol }))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(body.status, 200)
  t.match(body.protocol, /^TLSv1\.[23]$/)
  t.same(JSON.parse(body.text), { status: 'ok' })
})
