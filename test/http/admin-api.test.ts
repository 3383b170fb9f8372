import { Writable } from 'node:stream'
import { t } from '../helpers/file-test.js'
import { sql } from 'drizzle-orm'
import { hashToken, SCIM_TOKEN_PREFIX } from '../../src/auth/tokens.js'
import { createLogger } from '../../src/http/logger.js'
import { admin, ADMIN_TOKEN, BASE_URL, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const OTHER_ACCOUNT = '00000000-0000-4000-8000-000000000001'

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    t.beforeEach(() => db.reset())

    const countRows = async (table: string) => (await db.rows<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n

    t.test('the admin API is closed without its credential', async (t) => {
      for (const token of [null, 'wrong', `${'x'.repeat(40)}`]) {
        const res = await admin(app, 'PUT', '/teams/t1', { token, body: { name: 'T', owner: { email: 'o@x.io' } } })
        t.equal(res.statusCode, 401)
        t.equal(res.json().error.code, 'unauthorized')
      }
      t.equal(await countRows('teams'), 0, 'nothing written')
      const lower = await app.inject({
        method: 'GET',
        url: '/internal/v1/teams/t1/members',
        headers: { authorization: `bearer ${'cpadmin_test-admin-token-0123456789abcdefghijklmnop'}` },
      })
      t.equal(lower.statusCode, 404, 'the scheme name is case-insensitive (RFC 7235): passes auth, then team_not_found')
      t.equal(lower.json().error.code, 'team_not_found')
    })

    t.test('rolling ADMIN_API_TOKEN: the previous token also opens the API, and its use is logged once a minute', async (t) => {
      const previous = 'cpadmin_previous-admin-token-0123456789abcdefghij'
      const lines: { level: number; msg: string }[] = []
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as { level: number; msg: string })
          done()
        },
      })
      let now = new Date('2026-06-01T00:00:00.000Z')
      const rolling = await testApp(db, {
        adminTokenPreviousHash: hashToken(previous),
        clock: () => now,
        logger: createLogger('info', sink),
      })
      t.teardown(() => rolling.close())
      await admin(rolling, 'PUT', '/teams/t1', { body: { name: 'T', owner: { email: 'o@x.io' } } })
      const members = (token: string) => admin(rolling, 'GET', '/teams/t1/members', { token })
      const notices = () => lines.filter((l) => l.msg === 'a previous admin token was used; finish the roll')

      t.equal((await members(ADMIN_TOKEN)).statusCode, 200, 'the current token')
      t.equal(notices().length, 0, 'the current token is not worth a line')
      t.equal((await members(previous)).statusCode, 200, 'the previous token')
      t.equal((await members('cpadmin_a-third-token-0123456789abcdefghijklmnop')).statusCode, 401, 'any other token')
      t.equal((await members(previous)).statusCode, 200)
      t.equal(notices().length, 1, 'one line for two uses within a minute')
      t.equal(notices()[0]!.level, 30, 'at info')
      now = new Date(now.getTime() + 60_000)
      await members(previous)
      t.equal(notices().length, 2, 'a minute later, another')
      t.notOk(
        lines.some((l) => JSON.stringify(l).includes(previous)),
        'no line carries the token',
      )

      // Without a previous token configured (testApp), the old one is just a wrong token.
      t.equal((await admin(app, 'GET', '/teams/t1/members', { token: previous })).statusCode, 401, 'unset previous changes nothing')
      t.equal((await admin(app, 'GET', '/teams/t1/members')).statusCode, 200)
    })

    t.test('PUT team creates, then updates, with its Owner', async (t) => {
      const created = await admin(app, 'PUT', '/teams/t1', {
        body: { name: 'Team', owner: { email: 'Owner@Example.com', displayName: 'Olive' } },
      })
      t.equal(created.statusCode, 201)
      const { ownerAccountId } = created.json()
      t.match(ownerAccountId, /^[0-9a-f-]{36}$/)
      const again = await admin(app, 'PUT', '/teams/t1', { body: { name: 'Team renamed', owner: { email: 'owner@example.com' } } })
      t.equal(again.statusCode, 200)
      t.same(again.json(), { teamId: 't1', ownerAccountId }, 'the same account: emails compare case-insensitively')
      const members = await admin(app, 'GET', '/teams/t1/members')
      t.same(members.json().members, [{ accountId: ownerAccountId, email: 'Owner@Example.com', displayName: 'Olive', role: 'owner' }])
    })

    t.test('a new Owner takes over; the previous one stays as admin', async (t) => {
      const first = (await admin(app, 'PUT', '/teams/t1', { body: { name: 'T', owner: { email: 'a@x.io' } } })).json()
      const second = (await admin(app, 'PUT', '/teams/t1', { body: { name: 'T', owner: { email: 'b@x.io' } } })).json()
      t.not(first.ownerAccountId, second.ownerAccountId)
      const roles = (await admin(app, 'GET', '/teams/t1/members'))
        .json()
        .members.map((m: { email: string; role: string }) => [m.email, m.role])
      t.same(roles, [
        ['a@x.io', 'admin'],
        ['b@x.io', 'owner'],
      ])
    })

    t.test('an Owner who belongs to another team is refused and nothing changes', async (t) => {
      await admin(app, 'PUT', '/teams/t1', { body: { name: 'T1', owner: { email: 'a@x.io' } } })
      const res = await admin(app, 'PUT', '/teams/t2', { body: { name: 'T2', owner: { email: 'A@x.io' } } })
      t.equal(res.statusCode, 409)
      t.equal(res.json().error.code, 'account_in_other_team')
      t.equal(await countRows('teams'), 1, 'team t2 was not created')
    })

    t.test('bad input gets invalid_request and changes nothing', async (t) => {
      const cases: [string, unknown, string?][] = [
        ['/teams/t1', { owner: { email: 'a@x.io' } }],
        ['/teams/t1', { name: 'T', owner: { email: 'not-an-email' } }],
        ['/teams/t1', { name: 'T', owner: { email: 'a@x.io' }, extra: true }],
        ['/teams/t1', { name: '', owner: { email: 'a@x.io' } }],
        ['/teams/t1', 'null'],
        ['/teams/t1', '[1,2]'],
        ['/teams/bad%20id', { name: 'T', owner: { email: 'a@x.io' } }],
      ]
      for (const [url, body] of cases) {
        const res = await admin(app, 'PUT', url, { body: typeof body === 'string' ? body : (body as object) })
        t.equal(res.statusCode, 400, `${url} ${JSON.stringify(body)}`)
        t.equal(res.json().error.code, 'invalid_request')
        t.type(res.json().error.message, 'string')
      }
      const malformed = await app.inject({
        method: 'PUT',
        url: '/internal/v1/teams/t1',
        headers: { authorization: `Bearer cpadmin_test-admin-token-0123456789abcdefghijklmnop`, 'content-type': 'application/json' },
        payload: '{"name":',
      })
      t.equal(malformed.statusCode, 400)
      t.equal(malformed.json().error.code, 'invalid_request')
      const wrongType = await app.inject({
        method: 'PUT',
        url: '/internal/v1/teams/t1',
        headers: { authorization: `Bearer cpadmin_test-admin-token-0123456789abcdefghijklmnop`, 'content-type': 'text/plain' },
        payload: 'hello',
      })
      t.equal(wrongType.statusCode, 415)
      t.equal(wrongType.json().error.code, 'unsupported_media_type')
      t.equal(await countRows('teams'), 0)
      t.equal(await countRows('accounts'), 0)
    })

    t.test('SSO and members of an unknown team are team_not_found', async (t) => {
      for (const [method, url] of [
        ['PUT', '/teams/nope/sso'],
        ['DELETE', '/teams/nope/sso'],
        ['GET', '/teams/nope/members'],
        ['POST', '/teams/nope/scim'],
      ] as const) {
        const res = await admin(app, method, url, { body: method === 'PUT' ? { protocol: 'saml' } : undefined, actor: OTHER_ACCOUNT })
        t.equal(res.statusCode, 404, `${method} ${url}`)
        t.equal(res.json().error.code, 'team_not_found')
      }
      const bad = await admin(app, 'PUT', '/teams/nope/sso', { body: { protocol: 'ldap' } })
      t.equal(bad.statusCode, 400)
    })

    t.test('enabling SCIM: Owner only, SSO required, token shown once and stored hashed', async (t) => {
      const { ownerAccountId } = (await admin(app, 'PUT', '/teams/t1', { body: { name: 'T', owner: { email: 'o@x.io' } } })).json()
      const member = (await admin(app, 'PUT', '/teams/t9', { body: { name: 'T9', owner: { email: 'other@x.io' } } })).json().ownerAccountId

      const noActor = await admin(app, 'POST', '/teams/t1/scim')
      t.equal(noActor.statusCode, 400)
      t.equal(noActor.json().error.code, 'invalid_request')
      const notOwner = await admin(app, 'POST', '/teams/t1/scim', { actor: member })
      t.equal(notOwner.statusCode, 403)
      t.equal(notOwner.json().error.code, 'not_team_owner')
      const noSso = await admin(app, 'POST', '/teams/t1/scim', { actor: ownerAccountId })
      t.equal(noSso.statusCode, 409)
      t.equal(noSso.json().error.code, 'sso_required')

      await admin(app, 'PUT', '/teams/t1/sso', { body: { protocol: 'oidc' } })
      const enabled = await admin(app, 'POST', '/teams/t1/scim', { actor: ownerAccountId })
      t.equal(enabled.statusCode, 201)
      const body = enabled.json()
      t.match(body.endpointUrl, new RegExp(`^${BASE_URL}/scim/v2/[0-9a-f]{32}/$`), 'endpoint URL ends with a slash')
      t.ok(body.token.startsWith(SCIM_TOKEN_PREFIX))
      t.ok(Buffer.from(body.token.slice(SCIM_TOKEN_PREFIX.length), 'base64url').length >= 32, 'at least 32 random bytes')

      const stored = await db.rows(sql`select token_hash from scim_connections`)
      t.same(stored, [{ token_hash: hashToken(body.token) }], 'only the hash is stored')

      const twice = await admin(app, 'POST', '/teams/t1/scim', { actor: ownerAccountId })
      t.equal(twice.statusCode, 409)
      t.equal(twice.json().error.code, 'scim_already_enabled')

      const status = await admin(app, 'GET', '/teams/t1/scim', { actor: ownerAccountId })
      t.equal(status.statusCode, 200)
      t.equal(status.json().enabled, true)
      t.equal(status.json().state, 'active')
      t.equal(status.json().suspendedReason, null)
      t.equal(status.json().endpointUrl, body.endpointUrl)
      t.notOk(JSON.stringify(status.json()).includes(body.token), 'status never shows the token')
      t.notOk(JSON.stringify(status.json()).includes(hashToken(body.token)), 'nor its hash')
    })

    t.test('two concurrent enables: one 201 and one 409', async (t) => {
      const { ownerAccountId } = (await admin(app, 'PUT', '/teams/t1', { body: { name: 'T', owner: { email: 'o@x.io' } } })).json()
      await admin(app, 'PUT', '/teams/t1/sso', { body: { protocol: 'saml' } })
      const results = await Promise.all([1, 2, 3].map(() => admin(app, 'POST', '/teams/t1/scim', { actor: ownerAccountId })))
      t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409])
      t.equal(await countRows('scim_connections'), 1)
    })

    t.test('rotate kills the old token at once; disable revokes; re-enable is a new endpoint', async (t) => {
      const team = await scimTeam(app, 't1')
      t.equal((await scim(app, team, 'GET', '/Users')).statusCode, 200, 'the token opens its endpoint')

      const rotated = await admin(app, 'POST', '/teams/t1/scim/rotate', { actor: team.ownerAccountId })
      t.equal(rotated.statusCode, 200)
      const newToken = rotated.json().token as string
      t.not(newToken, team.token)
      t.equal((await scim(app, team, 'GET', '/Users')).statusCode, 401, 'old token is dead')
      t.equal((await scim(app, { ...team, token: newToken }, 'GET', '/Users')).statusCode, 200, 'new token works')

      const disabled = await admin(app, 'DELETE', '/teams/t1/scim', { actor: team.ownerAccountId })
      t.equal(disabled.statusCode, 204)
      t.equal((await scim(app, { ...team, token: newToken }, 'GET', '/Users')).statusCode, 401, 'disabled: refused')
      const members = (await admin(app, 'GET', '/teams/t1/members')).json().members
      t.equal(members.length, 1, 'members stay on the team')
      const status = (await admin(app, 'GET', '/teams/t1/scim', { actor: team.ownerAccountId })).json()
      t.equal(status.enabled, false)
      t.equal(status.state, 'disabled')
      t.equal(status.suspendedReason, null)
      t.equal(status.endpointUrl, null)

      t.equal((await admin(app, 'POST', '/teams/t1/scim/rotate', { actor: team.ownerAccountId })).json().error.code, 'scim_not_enabled')
      t.equal((await admin(app, 'DELETE', '/teams/t1/scim', { actor: team.ownerAccountId })).statusCode, 409)

      const again = (await admin(app, 'POST', '/teams/t1/scim', { actor: team.ownerAccountId })).json()
      t.not(again.endpointId, team.endpointId, 're-enable gives a new endpoint')
      t.equal(
        (await scim(app, { token: again.token, base: `/scim/v2/${team.endpointId}` }, 'GET', '/Users')).statusCode,
        401,
        'the old endpoint stays closed',
      )
      t.equal((await scim(app, { token: again.token, base: `/scim/v2/${again.endpointId}` }, 'GET', '/Users')).statusCode, 200)
    })

    t.test('rotate, disable, status and events need the Owner', async (t) => {
      const team = await scimTeam(app, 't1')
      for (const [method, url] of [
        ['POST', '/teams/t1/scim/rotate'],
        ['DELETE', '/teams/t1/scim'],
        ['GET', '/teams/t1/scim'],
        ['GET', '/teams/t1/scim/events'],
      ] as const) {
        const res = await admin(app, method, url, { actor: OTHER_ACCOUNT })
        t.equal(res.statusCode, 403, `${method} ${url}`)
      }
      t.equal((await scim(app, team, 'GET', '/Users')).statusCode, 200, 'token unchanged by refused calls')
    })

    t.test('SSO removed: SCIM answers 401 until SSO is active again, and the status says it is suspended', async (t) => {
      const team = await scimTeam(app, 't1')
      const status = async () => (await admin(app, 'GET', '/teams/t1/scim', { actor: team.ownerAccountId })).json()
      t.equal((await admin(app, 'DELETE', '/teams/t1/sso')).statusCode, 204)
      const refused = await scim(app, team, 'GET', '/Users')
      t.equal(refused.statusCode, 401)
      t.equal(refused.json().schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error')
      t.match(await status(), {
        enabled: true,
        state: 'suspended',
        suspendedReason: 'sso_inactive',
        endpointUrl: `${BASE_URL}/scim/v2/${team.endpointId}/`,
      })
      await admin(app, 'PUT', '/teams/t1/sso', { body: { protocol: 'saml' } })
      t.equal((await scim(app, team, 'GET', '/Users')).statusCode, 200)
      t.match(await status(), { enabled: true, state: 'active', suspendedReason: null })
      await admin(app, 'DELETE', '/teams/t1/sso')
      await admin(app, 'DELETE', '/teams/t1/scim', { actor: team.ownerAccountId })
      t.match(
        await status(),
        { enabled: false, state: 'disabled', suspendedReason: null },
        'a disabled connection is disabled, whatever SSO says',
      )
    })

    t.test('the audit log records admin actions, newest first, paged', async (t) => {
      const team = await scimTeam(app, 't1')
      await admin(app, 'POST', '/teams/t1/scim/rotate', { actor: team.ownerAccountId })
      await admin(app, 'POST', '/teams/t1/scim/rotate', { actor: OTHER_ACCOUNT })
      const page1 = (await admin(app, 'GET', '/teams/t1/scim/events?limit=2', { actor: team.ownerAccountId })).json()
      t.same(
        page1.events.map((e: { action: string; outcome: string }) => [e.action, e.outcome]),
        [
          ['scim.rotate', 'rejected:not_team_owner'],
          ['scim.rotate', 'ok'],
        ],
      )
      const page2 = (
        await admin(app, 'GET', `/teams/t1/scim/events?limit=10&before=${page1.nextBefore}`, { actor: team.ownerAccountId })
      ).json()
      t.same(
        page2.events.map((e: { action: string }) => e.action),
        ['scim.enable', 'sso.enable', 'team.create'],
      )
      t.equal(page2.nextBefore, null)
      const bad = await admin(app, 'GET', '/teams/t1/scim/events?limit=0', { actor: team.ownerAccountId })
      t.equal(bad.statusCode, 400)
    })
  })
}
