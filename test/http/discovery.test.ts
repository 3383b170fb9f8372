import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { BASE_URL, scim, scimTeam, testApp } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'

// Discovery documents do not depend on the database; PGlite alone covers them.
const [db] = await testDatabases(t)
const app = await testApp(db!)
t.teardown(() => app.close())
const team = await scimTeam(app, 't1')

t.test('ServiceProviderConfig is truthful', async (t) => {
  const res = await scim(app, team, 'GET', '/ServiceProviderConfig')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/scim\+json/)
  const body = res.json()
  t.same(body.schemas, [URN.serviceProviderConfig])
  t.equal(body.patch.supported, true)
  t.equal(body.bulk.supported, false)
  t.equal(body.filter.supported, true)
  t.ok(body.filter.maxResults > 0)
  t.equal(body.etag.supported, true)
  t.equal(body.authenticationSchemes[0].type, 'oauthbearertoken')
  t.equal(body.meta.location, `${BASE_URL}/scim/v2/${team.endpointId}/ServiceProviderConfig`)
})

t.test('ResourceTypes and Schemas come from the validator definitions', async (t) => {
  const types = (await scim(app, team, 'GET', '/ResourceTypes')).json()
  t.same(types.schemas, [URN.listResponse])
  const userType = types.Resources.find((r: { id: string }) => r.id === 'User')
  t.same(userType.schemaExtensions, [{ schema: URN.enterpriseUser, required: false }])
  t.equal(userType.endpoint, '/Users')
  t.same((await scim(app, team, 'GET', '/ResourceTypes/user')).json().id, 'User', 'ids are case-insensitive')
  t.equal((await scim(app, team, 'GET', '/ResourceTypes/Nope')).statusCode, 404)

  const schemas = (await scim(app, team, 'GET', '/Schemas')).json()
  t.same(
    schemas.Resources.map((s: { id: string }) => s.id),
    [URN.user, URN.enterpriseUser, URN.group],
  )
  const user = (await scim(app, team, 'GET', `/Schemas/${URN.user}`)).json()
  const userName = user.attributes.find((a: { name: string }) => a.name === 'userName')
  t.same([userName.required, userName.uniqueness, userName.caseExact], [true, 'server', false])
  const emails = user.attributes.find((a: { name: string }) => a.name === 'emails')
  t.same(
    emails.subAttributes.map((a: { name: string }) => a.name),
    ['value', 'display', 'type', 'primary'],
  )
  const password = user.attributes.find((a: { name: string }) => a.name === 'password')
  t.same([password.mutability, password.returned], ['writeOnly', 'never'])
  t.equal((await scim(app, team, 'GET', `/Schemas/${URN.enterpriseUser}`)).json().name, 'EnterpriseUser')
})

interface ServedAttribute {
  name: string
  type: string
  referenceTypes?: string[]
  subAttributes?: ServedAttribute[]
}

t.test('/Schemas gives referenceTypes to every reference attribute, as strict clients need (RFC 7643 §7)', async (t) => {
  // python-scim's scim2-client fails to build its models from a /Schemas that has a reference without them.
  const schemas = (await scim(app, team, 'GET', '/Schemas')).json()
  const references: string[] = []
  const walk = (schema: string, attributes: ServedAttribute[], prefix: string) => {
    for (const a of attributes) {
      if (a.type === 'reference') {
        references.push(`${schema} ${prefix}${a.name}`)
        t.ok(Array.isArray(a.referenceTypes) && a.referenceTypes.length > 0, `${schema} ${prefix}${a.name} has referenceTypes`)
      }
      walk(schema, a.subAttributes ?? [], `${prefix}${a.name}.`)
    }
  }
  for (const schema of schemas.Resources) walk(schema.name, schema.attributes, '')
  t.same(references.sort(), [
    'EnterpriseUser manager.$ref',
    'Group members.$ref',
    'User groups.$ref',
    'User photos.value',
    'User profileUrl',
  ])
  const user = schemas.Resources.find((s: { id: string }) => s.id === URN.user)
  const photos = user.attributes.find((a: ServedAttribute) => a.name === 'photos')
  t.same(photos.subAttributes.find((a: ServedAttribute) => a.name === 'value').referenceTypes, ['external'], 'RFC 7643 §8.7.1')
})

t.test('discovery endpoints are read-only: other methods are 405', async (t) => {
  for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/Schemas', `/Schemas/${URN.user}`]) {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await scim(app, team, method, path, method === 'DELETE' ? undefined : {})
      t.equal(res.statusCode, 405, `${method} ${path}`)
      t.same(res.json().schemas, [URN.error])
    }
  }
})

t.test('the method is checked before the body: a malformed body on a read-only endpoint is still 405 (Okta SPEC 2019)', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: `${team.base}/Schemas`,
    headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json; charset=utf-8' },
    payload: 'test',
  })
  t.equal(res.statusCode, 405)
  const users = await app.inject({
    method: 'POST',
    url: `${team.base}/Users`,
    headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/scim+json; charset=utf-8' },
    payload: 'test',
  })
  t.equal(users.statusCode, 400, 'where the body is read, it is a 400')
  t.equal(users.json().scimType, 'invalidSyntax')
})

t.test('unknown SCIM paths are 404 with a SCIM error', async (t) => {
  const res = await scim(app, team, 'GET', '/Widgets')
  t.equal(res.statusCode, 404)
  t.same(res.json().schemas, [URN.error])
})
