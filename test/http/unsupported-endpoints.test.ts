import { t } from '../helpers/file-test.js'
import { scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

for (const db of await testDatabases(t)) {
  t.test(`${db.name}: /Me and /Bulk are 501 with a SCIM error, after the bearer check`, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    const team = await scimTeam(app, 'unsupported')
    const other = await scimTeam(app, 'unsupported-other')

    // RFC 7644 §3.11: every /Me operation; 501, not 404.
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { userName: 'me@x.io' }
      const res = await scim(app, team, method, '/Me', body)
      t.equal(res.statusCode, 501, `${method} /Me`)
      t.match(res.headers['content-type'], /^application\/scim\+json/)
      t.match(res.json(), { schemas: [SCIM_ERROR], status: '501', detail: /\/Me is not supported/ })
    }
    t.equal((await scim(app, team, 'GET', '/me')).statusCode, 501, 'in any case, like every SCIM path')

    // RFC 7644 §3.7: bulk.supported is false.
    const bulk = await scim(app, team, 'POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] })
    t.equal(bulk.statusCode, 501)
    t.match(bulk.json(), { schemas: [SCIM_ERROR], status: '501', detail: /Bulk operations are not supported/ })
    const malformed = await app.inject({
      method: 'POST',
      url: `${team.base}/Bulk`,
      headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json' },
      payload: '{"Operations": [',
    })
    t.equal(malformed.statusCode, 501, 'the body is never read, so a malformed one does not turn the 501 into a 400')

    for (const [method, path] of [
      ['GET', '/Me'],
      ['POST', '/Bulk'],
    ] as const) {
      const anonymous = await app.inject({ method, url: `${team.base}${path}` })
      t.equal(anonymous.statusCode, 401, `${method} ${path} without a token`)
      t.equal(anonymous.json().status, '401')
      t.equal((await scim(app, { ...team, token: 'cpscim_guess' }, method, path)).statusCode, 401, `${method} ${path} with a wrong token`)
      t.equal(
        (await scim(app, { ...other, base: team.base }, method, path)).statusCode,
        401,
        `${method} ${path} with another endpoint's token`,
      )
    }
  })
}
