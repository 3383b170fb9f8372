import t from 'tap'
import { throwawayDatabase } from '../helpers/databases.js'
import { callJson, startReplica } from '../helpers/replica.js'

/**
 * Two service processes on one PostgreSQL, as behind a load balancer: a token rotated or disabled
 * through one is refused by the other on the very next request, and conflicting writes through
 * both keep the database consistent. Needs TEST_DATABASE_URL (one database shared by two processes).
 */
const adminUrl = process.env.TEST_DATABASE_URL
const ADMIN = 'replica-admin-token-0123456789abcdefghij'

if (adminUrl) {
  t.test('two replicas on one PostgreSQL', async (t) => {
    const databaseUrl = await throwawayDatabase(t, 'scim_replicas')
    // One after the other: both run migrations at start, and the second finds them applied.
    const a = await startReplica({ DATABASE_URL: databaseUrl, ADMIN_API_TOKEN: ADMIN })
    t.teardown(() => a.child.kill('SIGKILL'))
    const b = await startReplica({ DATABASE_URL: databaseUrl, ADMIN_API_TOKEN: ADMIN })
    t.teardown(() => b.child.kill('SIGKILL'))

    const call = callJson
    const { ownerAccountId } = (await call(a.url, 'PUT', '/internal/v1/teams/r1', ADMIN, { name: 'R', owner: { email: 'o@r.io' } }))
      .body as { ownerAccountId: string }
    await call(a.url, 'PUT', '/internal/v1/teams/r1/sso', ADMIN, { protocol: 'saml' })
    const enabled = (await call(a.url, 'POST', '/internal/v1/teams/r1/scim', ADMIN, undefined, ownerAccountId)).body as {
      endpointId: string
      token: string
    }
    const users = `/scim/v2/${enabled.endpointId}/Users`
    t.equal((await call(b.url, 'GET', users, enabled.token)).status, 200, 'a token enabled through A opens B')

    const rotated = (await call(a.url, 'POST', '/internal/v1/teams/r1/scim/rotate', ADMIN, undefined, ownerAccountId)).body as {
      token: string
    }
    t.equal((await call(b.url, 'GET', users, enabled.token)).status, 401, 'rotated through A: the old token is refused by B at once')
    t.equal((await call(b.url, 'GET', users, rotated.token)).status, 200)

    const creates = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', users, rotated.token, { userName: 'same@r.io' })),
    )
    t.same(
      creates.map((r) => r.status).sort(),
      [201, 409, 409, 409, 409, 409, 409, 409, 409, 409],
      'one userName, one user, whichever replica',
    )
    const id = creates.find((r) => r.status === 201)!.body.id as string
    const patches = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(i % 2 ? a.url : b.url, 'PATCH', `${users}/${id}`, rotated.token, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: i % 3 !== 0 } }],
        }),
      ),
    )
    t.ok(
      patches.every((r) => r.status === 200),
      patches.map((r) => r.status).join(','),
    )
    const final = (await call(a.url, 'GET', `${users}/${id}`, rotated.token)).body as { active: boolean }
    const members = ((await call(b.url, 'GET', '/internal/v1/teams/r1/members', ADMIN)).body.members as { email: string }[]).map(
      (m) => m.email,
    )
    t.equal(members.includes('same@r.io'), final.active, 'membership matches the final active state')

    t.equal((await call(b.url, 'DELETE', '/internal/v1/teams/r1/scim', ADMIN, undefined, ownerAccountId)).status, 204)
    t.equal((await call(a.url, 'GET', users, rotated.token)).status, 401, 'disabled through B: refused by A at once')
  })
}
