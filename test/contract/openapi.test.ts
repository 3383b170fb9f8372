import diagnostics from 'node:diagnostics_channel'
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify'
import type { Test } from 'tap'
import { t } from '../helpers/file-test.js'
import { hashToken } from '../../src/auth/tokens.js'
import { createMetrics } from '../../src/http/metrics.js'
import { ChangeSignal } from '../../src/events/change-signal.js'
import { WebhookDeliverer } from '../../src/events/webhook-deliverer.js'
import { PgEventStore } from '../../src/store/pg/pg-event-store.js'
import { commonAttributes, URN } from '../../src/scim/core/schemas.js'
import { StoreUnavailable } from '../../src/store/store-errors.js'
import type { Stores } from '../../src/store/stores.js'
import { ADMIN_TOKEN, admin, scim, scimTeam, testApp, type ScimTeam } from '../helpers/app.js'
import { testDatabases } from '../helpers/databases.js'
import { eventually, until } from '../helpers/eventually.js'
import { webhookReceiver } from '../helpers/webhook-receiver.js'
import { fastifyPath, OpenApiContract, type ScimAttribute, type SentRequest } from './openapi-contract.js'

// openapi.yaml against the service: the same set of routes, and every real response below is one the
// document describes (status, media type, body schema, declared headers). PGlite alone is enough here.
const contract = new OpenApiContract(new URL('../../openapi.yaml', import.meta.url))
const [db] = await testDatabases(t)

/**
 * buildApp registers its routes before it returns, so an `onRoute` hook added afterwards sees none.
 * Fastify publishes every new instance on the `fastify.initialization` diagnostics channel before any
 * route exists (Fastify's "Diagnostics Channel Hooks"): the hook is added there.
 */
async function appWithRouteLog(): Promise<{ app: FastifyInstance; routes: { method: string; url: string }[] }> {
  const routes: { method: string; url: string }[] = []
  const channel = diagnostics.channel('fastify.initialization')
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) routes.push({ method: method.toUpperCase(), url: route.url })
    })
  }
  channel.subscribe(onInit)
  try {
    return { app: await testApp(db!), routes }
  } finally {
    channel.unsubscribe(onInit)
  }
}

const { app, routes } = await appWithRouteLog()
t.teardown(() => app.close())

const OWNER_EMAIL = 'owner@acme.example'
const STRANGER = '00000000-0000-4000-8000-000000000000'

function verify(t: Test, request: SentRequest, res: LightMyRequestResponse, expected: number): void {
  t.equal(res.statusCode, expected, `${request.method} ${request.url} is ${expected}`, { body: res.body.slice(0, 500) })
  t.same(contract.check(request, res), [], `${request.method} ${request.url} (${res.statusCode}) matches openapi.yaml`)
}

async function adminCall(
  t: Test,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  expected: number,
  options: { body?: Record<string, unknown>; actor?: string; token?: string | null } = {},
): Promise<LightMyRequestResponse> {
  const res = await admin(app, method, url, options)
  verify(
    t,
    { method, url: `/internal/v1${url}`, body: options.body, ...(options.body ? { contentType: 'application/json' } : {}) },
    res,
    expected,
  )
  return res
}

async function scimCall(
  t: Test,
  team: Pick<ScimTeam, 'token' | 'base'>,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  expected: number,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const res = await scim(app, team, method, path, body, headers)
  const contentType = body === undefined ? undefined : (headers['content-type'] ?? 'application/scim+json')
  verify(t, { method, url: `${team.base}${path}`, body, ...(contentType ? { contentType } : {}) }, res, expected)
  return res
}

/** A request `scim()` cannot make (raw body, no or odd headers); never a success, so only the response is checked. */
async function rawCall(
  t: Test,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  expected: number,
  headers: Record<string, string>,
  payload?: string,
  target: FastifyInstance = app,
): Promise<LightMyRequestResponse> {
  const res = await target.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) })
  verify(t, { method, url }, res, expected)
  return res
}

const q = (value: string) => encodeURIComponent(value)

t.test('the routes Fastify registers and the operations in openapi.yaml are the same set', async (t) => {
  t.ok(routes.length > 0, 'the onRoute hook saw the routes')
  // Fastify adds a HEAD route for each GET route by itself (exposeHeadRoutes); they are not documented.
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url))
  const registered = new Set(routes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url))).map((r) => `${r.method} ${r.url}`))
  const documented = new Set(contract.operations.map((o) => `${o.method} ${fastifyPath(o.path)}`))
  t.same([...registered].filter((r) => !documented.has(r)).sort(), [], 'every registered route is in openapi.yaml')
  t.same([...documented].filter((r) => !registered.has(r)).sort(), [], 'every operation in openapi.yaml is a registered route')
  for (const operation of contract.operations) {
    t.ok(
      app.hasRoute({ method: operation.method, url: fastifyPath(operation.path) }),
      `Fastify routes ${operation.method} ${operation.path}`,
    )
  }
  t.equal(new Set(contract.operations.map((o) => o.operationId)).size, contract.operations.length, 'operationIds are unique')
})

t.test('health', async (t) => {
  await rawCall(t, 'GET', '/healthz', 200, {})
  await rawCall(t, 'GET', '/readyz', 200, {})
  await rawCall(t, 'GET', '/metrics', 200, {})
  const guarded = await testApp(db!, { metrics: { metrics: createMetrics(), tokenHash: hashToken('metrics-token-0123456789') } })
  t.teardown(() => guarded.close())
  await rawCall(t, 'GET', '/metrics', 401, {}, undefined, guarded)
  await rawCall(t, 'GET', '/metrics', 200, { authorization: 'Bearer metrics-token-0123456789' }, undefined, guarded)
})

t.test('503 when the database is unreachable', async (t) => {
  // Every store call (of every port) fails as the pg adapter fails during an outage.
  const failing = <T extends object>(object: T): T =>
    new Proxy(object, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown
        if (typeof value === 'function') return () => Promise.reject(new StoreUnavailable())
        return value !== null && typeof value === 'object' ? failing(value) : value
      },
    })
  const down: Stores = failing(db!.store)
  const outage = await testApp(db!, { store: down, ping: () => Promise.reject(new Error('connection refused')), events: undefined })
  t.teardown(() => outage.close())
  await rawCall(t, 'GET', '/readyz', 503, {}, undefined, outage)
  await rawCall(t, 'GET', '/internal/v1/teams/acme/members', 503, { authorization: `Bearer ${ADMIN_TOKEN}` }, undefined, outage)
  await rawCall(t, 'GET', `/scim/v2/${'0'.repeat(32)}/Users`, 503, { authorization: 'Bearer cpscim_x' }, undefined, outage)
})

// State shared by the tests below, which run in order.
let ownerAccountId = ''
let acme: ScimTeam
let other: ScimTeam

t.test('admin API: team, SSO, enabling SCIM, status, events', async (t) => {
  await adminCall(t, 'PUT', '/teams/acme', 401, { body: { name: 'Acme', owner: { email: OWNER_EMAIL } }, token: null })
  await adminCall(t, 'PUT', '/teams/acme', 401, { body: { name: 'Acme', owner: { email: OWNER_EMAIL } }, token: 'wrong' })
  const created = await adminCall(t, 'PUT', '/teams/acme', 201, {
    body: { name: 'Acme', owner: { email: OWNER_EMAIL, displayName: 'Olive Owner' } },
  })
  ownerAccountId = created.json().ownerAccountId as string
  await adminCall(t, 'PUT', '/teams/acme', 200, { body: { name: 'Acme Inc', owner: { email: OWNER_EMAIL } } })
  await adminCall(t, 'PUT', '/teams/acme', 400, { body: { name: '', owner: { email: 'not-an-email' } } })
  await adminCall(t, 'PUT', '/teams/-bad', 400, { body: { name: 'Bad', owner: { email: 'x@bad.example' } } })
  await rawCall(t, 'PUT', '/internal/v1/teams/acme', 415, { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' }, 'Acme')
  await rawCall(
    t,
    'PUT',
    '/internal/v1/teams/acme',
    413,
    { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) }),
  )

  await adminCall(t, 'PUT', '/teams/nope/sso', 404, { body: { protocol: 'saml' } })
  await adminCall(t, 'PUT', '/teams/acme/sso', 400, { body: { protocol: 'ldap' } })
  await adminCall(t, 'POST', '/teams/acme/scim', 409, { actor: ownerAccountId })
  await adminCall(t, 'PUT', '/teams/acme/sso', 200, { body: { protocol: 'saml' } })
  await adminCall(t, 'GET', '/teams/acme/members', 200)
  await adminCall(t, 'GET', '/teams/nope/members', 404)

  await adminCall(t, 'POST', '/teams/acme/scim', 400)
  await adminCall(t, 'POST', '/teams/acme/scim', 403, { actor: STRANGER })
  await adminCall(t, 'POST', '/teams/nope/scim', 404, { actor: ownerAccountId })
  await adminCall(t, 'POST', '/teams/acme/scim/rotate', 409, { actor: ownerAccountId })
  const enabled = await adminCall(t, 'POST', '/teams/acme/scim', 201, { actor: ownerAccountId })
  await adminCall(t, 'POST', '/teams/acme/scim', 409, { actor: ownerAccountId })
  await adminCall(t, 'GET', '/teams/acme/scim', 200, { actor: ownerAccountId })
  await adminCall(t, 'GET', '/teams/acme/scim', 403, { actor: STRANGER })

  const rotated = await adminCall(t, 'POST', '/teams/acme/scim/rotate', 200, { actor: ownerAccountId })
  await adminCall(t, 'POST', '/teams/acme/scim/rotate', 403, { actor: STRANGER })
  const { endpointId } = enabled.json<{ endpointId: string }>()
  acme = {
    teamId: 'acme',
    ownerAccountId,
    ownerEmail: OWNER_EMAIL,
    endpointId,
    token: rotated.json().token as string,
    base: `/scim/v2/${endpointId}`,
  }
  // The token from enabling is dead now: it is a 401 below.
  const stale = { ...acme, token: enabled.json().token as string }
  await scimCall(t, stale, 'GET', '/Users', 401)

  const page = await adminCall(t, 'GET', '/teams/acme/scim/events?limit=2', 200, { actor: ownerAccountId })
  await adminCall(t, 'GET', `/teams/acme/scim/events?limit=50&before=${String(page.json().nextBefore)}`, 200, { actor: ownerAccountId })
  await adminCall(t, 'GET', '/teams/acme/scim/events?limit=0', 400, { actor: ownerAccountId })
  await adminCall(t, 'GET', '/teams/acme/scim/events', 403, { actor: STRANGER })

  other = await scimTeam(app, 'other', 'owner@other.example')
})

t.test('SCIM authentication', async (t) => {
  await rawCall(t, 'GET', `${acme.base}/Users`, 401, {})
  await scimCall(t, { ...acme, token: 'cpscim_unknown' }, 'GET', '/Users', 401)
  await scimCall(t, { ...acme, token: other.token }, 'GET', '/ServiceProviderConfig', 401)
})

t.test('SCIM discovery, and 405 on every other method of its paths', async (t) => {
  await scimCall(t, acme, 'GET', '/ServiceProviderConfig', 200)
  await scimCall(t, acme, 'GET', '/ResourceTypes', 200)
  await scimCall(t, acme, 'GET', '/ResourceTypes/User', 200)
  await scimCall(t, acme, 'GET', '/ResourceTypes/group', 200)
  await scimCall(t, acme, 'GET', '/ResourceTypes/Widget', 404)
  await scimCall(t, acme, 'GET', '/Schemas', 200)
  for (const urn of [URN.user, URN.enterpriseUser, URN.group]) await scimCall(t, acme, 'GET', `/Schemas/${urn}`, 200)
  await scimCall(t, acme, 'GET', '/Schemas/urn:example:nope', 404)
  for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/Schemas', `/Schemas/${URN.user}`]) {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await scimCall(t, acme, method, path, 405, method === 'DELETE' ? undefined : {})
    }
  }
  await rawCall(t, 'POST', `${acme.base}/Schemas`, 415, { authorization: `Bearer ${acme.token}`, 'content-type': 'text/plain' }, 'test')
})

t.test('SCIM endpoints the service does not offer: 501 after the bearer check', async (t) => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    await scimCall(t, acme, method, '/Me', 501, method === 'GET' || method === 'DELETE' ? undefined : {})
  }
  await scimCall(t, acme, 'POST', '/Bulk', 501, { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] })
  await scimCall(t, { ...acme, token: 'cpscim_unknown' }, 'POST', '/Bulk', 401, {})
  await scimCall(t, { ...acme, token: 'cpscim_unknown' }, 'GET', '/Me', 401)
})

let adaId = ''
let ownerUserId = ''

t.test('SCIM Users', async (t) => {
  const ada = {
    schemas: [URN.user, URN.enterpriseUser],
    externalId: '00u1ada',
    userName: 'ada@acme.example',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
    displayName: 'Ada Lovelace',
    title: 'Analyst',
    active: true,
    password: 'never stored',
    emails: [{ value: 'ada@acme.example', type: 'work', primary: true }],
    phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
    addresses: [{ locality: 'London', country: 'GB', type: 'work' }],
    [URN.enterpriseUser]: { employeeNumber: '1815', department: 'Engines', manager: { value: 'babbage' } },
    'urn:example:unknown:extension': { ignored: true },
  }
  const created = await scimCall(t, acme, 'POST', '/Users', 201, ada)
  adaId = created.json().id as string
  await scimCall(t, acme, 'POST', '/Users', 409, ada)
  await scimCall(t, acme, 'POST', '/Users', 409, { schemas: [URN.user], userName: 'owner@other.example' })
  await scimCall(t, acme, 'POST', '/Users', 400, { schemas: [URN.user], userName: 'no-email' })
  await scimCall(t, acme, 'POST', '/Users', 400, { schemas: [URN.user], userName: 'x@acme.example', active: 'maybe' })
  await rawCall(
    t,
    'POST',
    `${acme.base}/Users`,
    400,
    { authorization: `Bearer ${acme.token}`, 'content-type': 'application/scim+json' },
    '{"userName":',
  )
  await rawCall(t, 'POST', `${acme.base}/Users`, 415, { authorization: `Bearer ${acme.token}`, 'content-type': 'text/plain' }, 'userName=x')
  await rawCall(
    t,
    'POST',
    `${acme.base}/Users`,
    413,
    { authorization: `Bearer ${acme.token}`, 'content-type': 'application/scim+json' },
    JSON.stringify({ userName: 'big@acme.example', displayName: 'x'.repeat(1024 * 1024 + 1) }),
  )
  ownerUserId = (
    await scimCall(t, acme, 'POST', '/Users', 201, { userName: OWNER_EMAIL, active: 'True' }, { 'content-type': 'application/json' })
  ).json().id as string
  const bob = (
    await scimCall(t, acme, 'POST', '/Users?attributes=userName', 201, {
      userName: 'bob@acme.example',
      emails: { value: 'bob@acme.example' },
    })
  ).json().id as string

  await scimCall(t, acme, 'GET', '/Users?startIndex=1&count=2', 200)
  await scimCall(t, acme, 'GET', `/Users?filter=${q('userName eq "ada@acme.example"')}`, 200)
  await scimCall(t, acme, 'GET', `/Users?filter=${q('emails[type eq "work" and value co "acme"]')}&excludedAttributes=emails,name`, 200)
  await scimCall(
    t,
    acme,
    'GET',
    `/Users?attributes=userName,${q(`${URN.enterpriseUser}:department`)}&sortBy=userName&sortOrder=descending`,
    200,
  )
  await scimCall(t, acme, 'GET', `/Users?filter=${q('userName zz "ada"')}`, 400)
  await scimCall(t, acme, 'GET', '/Users?attributes=shoeSize', 400)
  await scimCall(t, acme, 'GET', '/Users?count=1&count=2', 400)
  const firstPage = await scimCall(t, acme, 'GET', '/Users?cursor=&count=1', 200)
  await scimCall(t, acme, 'GET', `/Users?cursor=${firstPage.json().nextCursor as string}&count=1`, 200)
  await scimCall(t, acme, 'GET', '/Users?cursor=nonsense', 400)
  await scimCall(t, acme, 'GET', '/Users?sortBy=name.familyName&sortOrder=descending', 200)
  await scimCall(t, acme, 'GET', '/Users?sortBy=shoeSize', 400)
  await scimCall(t, acme, 'POST', '/Users/.search', 200, {
    schemas: [URN.searchRequest],
    filter: 'active eq true',
    attributes: ['userName', 'emails'],
    startIndex: 1,
    count: 10,
  })
  await scimCall(t, acme, 'POST', '/Users/.search', 400, { filter: 'userName eq' })
  await scimCall(t, acme, 'POST', '/.search', 200, {
    schemas: [URN.searchRequest],
    filter: 'displayName pr',
    attributes: ['displayName'],
    count: 5,
  })
  await scimCall(t, acme, 'POST', '/.search', 400, { filter: 'shoeSize eq 42' })

  const read = await scimCall(t, acme, 'GET', `/Users/${adaId}`, 200)
  const version = read.headers.etag as string
  await scimCall(t, acme, 'GET', `/Users/${adaId}`, 304, undefined, { 'if-none-match': version })
  await scimCall(t, acme, 'GET', `/Users/${adaId}?excludedAttributes=meta`, 200)
  await scimCall(t, acme, 'GET', `/Users/${STRANGER}`, 404)
  const otherUser = (await scimCall(t, other, 'POST', '/Users', 201, { userName: 'eve@other.example' })).json().id as string
  await scimCall(t, acme, 'GET', `/Users/${otherUser}`, 404, undefined)

  const replaced = await scimCall(t, acme, 'PUT', `/Users/${adaId}`, 200, { ...ada, title: 'Engineer' }, { 'if-match': version })
  await scimCall(t, acme, 'PUT', `/Users/${adaId}`, 412, ada, { 'if-match': version })
  await scimCall(t, acme, 'PUT', `/Users/${STRANGER}`, 404, ada)
  await scimCall(t, acme, 'PUT', `/Users/${adaId}`, 400, { schemas: [URN.user] })

  const patch = (operations: unknown[]) => ({ schemas: [URN.patchOp], Operations: operations })
  await scimCall(t, acme, 'PATCH', `/Users/${adaId}`, 200, patch([{ op: 'Replace', path: 'title', value: 'Lead' }]), {
    'if-match': replaced.headers.etag as string,
  })
  await scimCall(t, acme, 'PATCH', `/Users/${adaId}?attributes=active`, 200, patch([{ op: 'replace', path: 'active', value: false }]))
  await scimCall(t, acme, 'PATCH', `/Users/${adaId}`, 200, { Operations: [{ op: 'replace', value: { active: true, nickName: 'Ada' } }] })
  await scimCall(t, acme, 'PATCH', `/Users/${adaId}`, 400, patch([{ op: 'shuffle', path: 'title' }]))
  await scimCall(t, acme, 'PATCH', `/Users/${adaId}`, 412, patch([{ op: 'remove', path: 'title' }]), { 'if-match': 'W/"1"' })
  await scimCall(t, acme, 'PATCH', `/Users/${ownerUserId}`, 403, patch([{ op: 'replace', path: 'active', value: false }]))
  await scimCall(t, acme, 'PUT', `/Users/${ownerUserId}`, 403, { userName: OWNER_EMAIL, active: false })
  await scimCall(t, acme, 'PATCH', `/Users/${STRANGER}`, 404, patch([{ op: 'remove', path: 'title' }]))

  await scimCall(t, acme, 'DELETE', `/Users/${bob}`, 412, undefined, { 'if-match': 'W/"99"' })
  await scimCall(t, acme, 'DELETE', `/Users/${ownerUserId}`, 403)
  await scimCall(t, acme, 'DELETE', `/Users/${bob}`, 204)
  await scimCall(t, acme, 'DELETE', `/Users/${bob}`, 404)
})

t.test('openapi.yaml states what /Schemas says of each attribute: its mutability and when it is returned', async (t) => {
  const schemas = (await scimCall(t, acme, 'GET', '/Schemas', 200)).json<{ Resources: { id: string; attributes: ScimAttribute[] }[] }>()
  const attributesOf = (urn: string) => schemas.Resources.find((schema) => schema.id === urn)!.attributes
  // id, externalId and meta are RFC 7643 §3.1's, on every resource, and not listed by /Schemas.
  const user = [
    ...commonAttributes,
    ...attributesOf(URN.user),
    { name: URN.enterpriseUser, mutability: 'readWrite', returned: 'default', subAttributes: attributesOf(URN.enterpriseUser) },
  ]
  t.same(contract.scimAttributeProblems(user, 'User', 'UserRequest'), [], 'User')
  t.same(contract.scimAttributeProblems([...commonAttributes, ...attributesOf(URN.group)], 'Group', 'GroupRequest'), [], 'Group')
  // The case that was wrong: `groups` is returned when asked for, and that response matches the document.
  const group = (await scimCall(t, acme, 'POST', '/Groups', 201, { displayName: 'Readers', members: [{ value: adaId }] })).json<{
    id: string
  }>()
  const read = await scimCall(t, acme, 'GET', `/Users/${adaId}?attributes=groups`, 200)
  t.match(read.json(), { groups: [{ value: group.id, display: 'Readers' }] })
  t.notOk('groups' in (await scimCall(t, acme, 'GET', `/Users/${adaId}`, 200)).json(), 'and only then')
  await scimCall(t, acme, 'DELETE', `/Groups/${group.id}`, 204)
})

t.test('SCIM Groups', async (t) => {
  const group = { schemas: [URN.group], displayName: 'Engineering', externalId: 'grp-1', members: [{ value: adaId, display: 'Ada' }] }
  const created = await scimCall(t, acme, 'POST', '/Groups', 201, group)
  const id = created.json().id as string
  await scimCall(t, acme, 'POST', '/Groups?excludedAttributes=members', 201, { displayName: 'Empty' })
  await scimCall(t, acme, 'POST', '/Groups', 409, { ...group, displayName: 'engineering' })
  await scimCall(t, acme, 'POST', '/Groups', 400, { displayName: 'Ghosts', members: [{ value: 'string id 1' }] })

  await scimCall(t, acme, 'GET', '/Groups', 200)
  await scimCall(t, acme, 'GET', `/Groups?filter=${q('displayName eq "Engineering"')}&excludedAttributes=members`, 200)
  await scimCall(t, acme, 'GET', `/Groups?filter=${q(`members[value eq "${adaId}"]`)}&attributes=displayName`, 200)
  await scimCall(t, acme, 'GET', `/Groups?filter=${q('displayName sw')}`, 400)
  await scimCall(t, acme, 'POST', '/Groups/.search', 200, { schemas: [URN.searchRequest], count: 1, excludedAttributes: 'members' })
  await scimCall(t, acme, 'POST', '/Groups/.search', 400, { sortOrder: 'sideways' })

  const read = await scimCall(t, acme, 'GET', `/Groups/${id}`, 200)
  const version = read.headers.etag as string
  await scimCall(t, acme, 'GET', `/Groups/${id}`, 304, undefined, { 'if-none-match': '*' })
  await scimCall(t, acme, 'GET', `/Groups/${STRANGER}`, 404)
  await scimCall(t, acme, 'GET', `/Groups/${id}?attributes=nope`, 400)

  const replaced = await scimCall(
    t,
    acme,
    'PUT',
    `/Groups/${id}`,
    200,
    { ...group, members: [{ value: adaId }, { value: ownerUserId }] },
    { 'if-match': version },
  )
  await scimCall(t, acme, 'PUT', `/Groups/${id}`, 412, group, { 'if-match': version })
  await scimCall(t, acme, 'PUT', `/Groups/${STRANGER}`, 404, group)
  await scimCall(t, acme, 'PUT', `/Groups/${id}`, 409, { displayName: 'Empty' })

  const patch = (operations: unknown[]) => ({ schemas: [URN.patchOp], Operations: operations })
  await scimCall(t, acme, 'PATCH', `/Groups/${id}`, 204, patch([{ op: 'remove', path: `members[value eq "${ownerUserId}"]` }]), {
    'if-match': replaced.headers.etag as string,
  })
  await scimCall(
    t,
    acme,
    'PATCH',
    `/Groups/${id}?attributes=displayName,members`,
    200,
    patch([{ op: 'add', path: 'members', value: [{ value: ownerUserId }] }]),
  )
  await scimCall(t, acme, 'PATCH', `/Groups/${id}`, 400, patch([{ op: 'add', path: 'members', value: [{ value: STRANGER }] }]))
  await scimCall(t, acme, 'PATCH', `/Groups/${id}`, 412, patch([{ op: 'replace', path: 'displayName', value: 'Eng' }]), {
    'if-match': 'W/"1"',
  })
  await scimCall(t, acme, 'PATCH', `/Groups/${STRANGER}`, 404, patch([{ op: 'replace', path: 'displayName', value: 'Eng' }]))
  await scimCall(t, acme, 'PATCH', `/Groups/${id}`, 409, patch([{ op: 'replace', path: 'displayName', value: 'EMPTY' }]))

  await scimCall(t, acme, 'DELETE', `/Groups/${id}`, 412, undefined, { 'if-match': 'W/"1"' })
  await scimCall(t, acme, 'DELETE', `/Groups/${id}`, 204)
  await scimCall(t, acme, 'DELETE', `/Groups/${id}`, 404)
  await scimCall(t, acme, 'GET', `/Groups/${id}`, 404)
})

t.test('admin API: disabling SCIM and removing SSO', async (t) => {
  await adminCall(t, 'DELETE', '/teams/acme/scim', 403, { actor: STRANGER })
  await adminCall(t, 'DELETE', '/teams/acme/scim', 204, { actor: ownerAccountId })
  await scimCall(t, acme, 'GET', '/Users', 401)
  await adminCall(t, 'DELETE', '/teams/acme/scim', 409, { actor: ownerAccountId })
  await adminCall(t, 'DELETE', '/teams/nope/scim', 404, { actor: ownerAccountId })
  await adminCall(t, 'DELETE', '/teams/acme/scim', 400)
  await adminCall(t, 'GET', '/teams/acme/scim', 200, { actor: ownerAccountId })
  await adminCall(t, 'GET', '/teams/acme/scim', 400, { actor: 'not-a-uuid' })
  await adminCall(t, 'DELETE', '/teams/acme/sso', 204)
  await adminCall(t, 'DELETE', '/teams/nope/sso', 404)
  await adminCall(t, 'GET', '/teams/acme/scim/events?limit=200', 200, { actor: ownerAccountId })
})

t.test('admin API: the change feed, webhook endpoints, and the webhook payload', async (t) => {
  // The writes above are in the feed once the bound has passed them (a moment, on a shared server).
  const page = await eventually(
    () => adminCall(t, 'GET', '/events?limit=1000', 200),
    (page) => page.json<{ events: unknown[] }>().events.length > 0,
    { timeoutMs: 5_000 },
  )
  const { events, nextCursor } = page.json<{ events: { kind: string }[]; nextCursor: string }>()
  t.ok(events.length > 0, `${events.length} events: ${[...new Set(events.map((e) => e.kind))].join(', ')}`)
  await adminCall(t, 'GET', `/events?after=${q(nextCursor)}&wait=0.2`, 200)
  await adminCall(t, 'GET', '/events?after=not-a-cursor', 400)
  await adminCall(t, 'GET', '/events', 401, { token: null })
  await adminCall(t, 'GET', '/teams/acme/events?limit=5', 200)
  await adminCall(t, 'GET', '/teams/nope/events', 404)
  await adminCall(t, 'GET', '/teams/acme/events?wait=99', 400)

  // A receiver on 127.0.0.1 and the deliverer as the service runs it: each body is the documented payload.
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
  const receiver = await webhookReceiver(t, secret)
  const { url, requests: received } = receiver
  // The team URL is signed with its own secret, issued (shown once) when the URL is set.
  const set = await adminCall(t, 'PUT', '/teams/acme/webhook', 200, { body: { url } })
  const teamSecret = set.json<{ secret: string }>().secret
  t.match(teamSecret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a Standard Webhooks secret of 32 random bytes')
  t.not(teamSecret, secret, 'not WEBHOOK_SECRET')
  receiver.useSecret(teamSecret)
  const again = await adminCall(t, 'PUT', '/teams/acme/webhook', 200, { body: { url } })
  t.notOk('secret' in again.json<object>(), 'the same URL again keeps the secret and does not show it')
  await adminCall(t, 'PUT', '/teams/acme/webhook', 400, { body: { url: 'ftp://x' } })
  await adminCall(t, 'PUT', '/teams/nope/webhook', 404, { body: { url } })
  await rawCall(
    t,
    'PUT',
    '/internal/v1/teams/acme/webhook',
    415,
    { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
    url,
  )
  const deliverer = new WebhookDeliverer({
    events: new PgEventStore(db!.database.db),
    signal: new ChangeSignal(),
    secret,
    timeoutMs: 5_000,
    pollMs: 50,
    log: { info: () => undefined, warn: () => undefined },
  })
  deliverer.start()
  t.teardown(() => deliverer.stop())
  const acmeEvents = (await admin(app, 'GET', '/teams/acme/events?limit=1000')).json<{ events: unknown[] }>().events.length
  await until(() => received.length >= acmeEvents)
  t.equal(received.length, acmeEvents, "every one of acme's events was posted")
  const payload = contract.validator('/components/schemas/WebhookPayload')
  for (const { body, verified } of received) {
    t.ok(payload(JSON.parse(body)), `${body.slice(0, 60)} is a WebhookPayload`, { errors: payload.errors })
    t.ok(verified, 'signed as documented')
  }
  const states = await adminCall(t, 'GET', '/teams/acme/webhooks', 200)
  t.match(states.json(), { endpoints: [{ channel: 'team', url, pending: 0, delivered: acmeEvents }] })
  await adminCall(t, 'GET', '/teams/nope/webhooks', 404)
  await adminCall(t, 'DELETE', '/teams/acme/webhook', 204)
  await adminCall(t, 'DELETE', '/teams/nope/webhook', 404)
})

t.test('every operation in openapi.yaml was exercised', async (t) => {
  const missing = contract.operations
    .filter((o) => !contract.seen.has(o.operationId))
    .map((o) => `${o.operationId} (${o.method} ${o.path})`)
  t.same(missing, [], 'no documented operation is left without a real response checked against it')
  const unseen = contract.operations.flatMap((o) =>
    Object.keys(o.node.responses as object)
      .filter((status) => !contract.seen.get(o.operationId)?.has(status))
      .map((status) => `${o.operationId} ${status}`),
  )
  t.comment(`documented statuses not produced by this file (shared 413/415/429/500/503 cases are checked once): ${unseen.length}`)
})
