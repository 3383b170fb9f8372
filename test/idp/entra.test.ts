import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { testApp, scimTeam } from '../helpers/app.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { accountCount, filtered, groupMemberIds, memberByEmail, patchOp, resources, snapshot } from './idp-helpers.js'
import { replay, type Step } from './replay.js'

/**
 * Microsoft Entra ID's provisioning service, from Microsoft's "Tutorial: Develop and plan provisioning
 * for a SCIM endpoint in Microsoft Entra ID" (request samples, Test Connection, matching on userName or
 * externalId=objectId) and "Known issues and resolutions with SCIM 2.0 protocol compliance" (capitalised
 * ops, string booleans, one Replace per attribute, the `aadOptscim062020` tenant-URL flag and what it
 * changes). Group PATCHes answer 204, which Entra expects.
 */

const ENT = URN.enterpriseUser
const PAT_GUID = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'
const PAT_EMAIL = 'pat.doe@contoso.example'
const PAT_NEW_EMAIL = 'pat.doe-renamed@contoso.example'
const KIM_EMAIL = 'kim.lee@contoso.example'
const OWNER_EMAIL = 'owner@entra.example'

/** Entra's create request: both schemas, roles [], meta.resourceType, a work email. */
const entraUser = (userName: string, objectId: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user, ENT],
  externalId: objectId,
  userName,
  active: true,
  emails: [{ primary: true, type: 'work', value: userName }],
  meta: { resourceType: 'User' },
  roles: [],
  ...extra,
})

const steps = (db: TestDatabase): Step[] => [
  {
    name: 'Test Connection: a random userName finds nobody',
    method: 'GET',
    path: filtered('Users', 'userName eq "4ac3a4f4-1c7e-4e5b-9f7e-0a9f1c0b2d3e"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Test Connection: a random group displayName finds nobody',
    method: 'GET',
    path: filtered('Groups', 'displayName eq "0d6c2a1e-8b7f-4c3d-a2e1-9f8b7c6d5e4f"', '&excludedAttributes=members'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'matching on userName: lookup before create',
    method: 'GET',
    path: filtered('Users', `userName eq "${PAT_EMAIL}"`),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'create the manager first',
    method: 'POST',
    path: '/Users',
    body: entraUser('bo.boss@contoso.example', '11111111-2222-4333-8444-555555555555', {
      name: { formatted: 'Bo Boss', familyName: 'Boss', givenName: 'Bo' },
      [ENT]: { employeeNumber: '1', department: 'Management' },
    }),
    status: 201,
    remember: { managerId: 'id' },
  },
  {
    name: 'create with the enterprise extension and manager',
    method: 'POST',
    path: '/Users',
    body: entraUser(PAT_EMAIL, PAT_GUID, {
      displayName: 'Pat Doe',
      name: { formatted: 'Pat Doe', familyName: 'Doe', givenName: 'Pat' },
      title: 'Engineer',
      [ENT]: { employeeNumber: '701984', department: 'Engineering', costCenter: 'CC-1', manager: { value: '{{managerId}}' } },
    }),
    status: 201,
    remember: { id: 'id' },
    expect: async (body, state) => {
      state.t.same(body.schemas, [URN.user, ENT])
      state.t.same(body[ENT], {
        employeeNumber: '701984',
        department: 'Engineering',
        costCenter: 'CC-1',
        manager: { value: state.vars.managerId },
      })
      state.t.notOk('roles' in body, 'an empty roles list is unassigned')
      const member = await memberByEmail(state, PAT_EMAIL)
      state.t.same([member?.role, member?.displayName], ['member', 'Pat Doe'], 'provisioned as Member')
      state.vars.accountId = member?.accountId ?? 'missing'
    },
  },
  {
    name: 'matching on externalId: externalId eq "<objectId GUID>"',
    method: 'GET',
    path: filtered('Users', `externalId eq "${PAT_GUID}"`),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((u) => u.id),
        [vars.id],
      ),
  },
  {
    name: 'matching on userName finds the user, case-insensitively',
    method: 'GET',
    path: filtered('Users', `userName eq "${PAT_EMAIL.toUpperCase()}"`),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((u) => u.id),
        [vars.id],
      ),
  },
  {
    name: 'Entra string booleans: Replace active "False" deprovisions',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false, 'stored and returned as a boolean')
      state.t.equal(await memberByEmail(state, PAT_EMAIL), undefined, 'removed from the team')
    },
  },
  {
    name: 'the deprovisioned user is still found by externalId',
    method: 'GET',
    path: filtered('Users', `externalId eq "${PAT_GUID}"`),
    status: 200,
    expect: (body, { t }) => t.equal(resources(body)[0]?.active, false),
  },
  {
    name: 'Entra string booleans: Replace active "True" brings them back as Member on the same account',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Replace', path: 'active', value: 'True' }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      const member = await memberByEmail(state, PAT_EMAIL)
      state.t.same([member?.role, member?.accountId], ['member', state.vars.accountId])
      state.t.equal(await accountCount(db, PAT_EMAIL), 1, 'no second account')
    },
  },
  {
    name: 'aadOptscim062020: the flag on the tenant URL routes list requests',
    method: 'GET',
    path: `/Users?aadOptscim062020&filter=${encodeURIComponent(`externalId eq "${PAT_GUID}"`)}`,
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((u) => u.id),
        [vars.id],
      ),
  },
  {
    name: 'aadOptscim062020: lower-case replace with a boolean false, flag appended',
    method: 'PATCH',
    path: '/Users/{{id}}?aadOptscim062020',
    body: patchOp({ op: 'replace', path: 'active', value: false }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, PAT_EMAIL), undefined)
    },
  },
  {
    name: 'aadOptscim062020: lower-case replace with a boolean true reactivates',
    method: 'PATCH',
    path: '/Users/{{id}}?aadOptscim062020',
    body: patchOp({ op: 'replace', path: 'active', value: true }),
    status: 200,
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, PAT_EMAIL))?.role, 'member'),
  },
  {
    name: 'aadOptscim062020=true (with a value) and a doubled slash still reach the user',
    method: 'GET',
    path: '//Users/{{id}}?aadOptscim062020=true',
    status: 200,
    expect: (body, { t, vars }) => t.equal(body.id, vars.id),
  },
  {
    name: 'Entra manager removal: Replace the manager with ""',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Replace', path: `${ENT}:manager`, value: '' }),
    status: 200,
    expect: (body, { t }) =>
      t.same(body[ENT], { employeeNumber: '701984', department: 'Engineering', costCenter: 'CC-1' }, 'only the manager goes'),
  },
  {
    name: 'Entra manager as a bare string: Add the manager with its id',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Add', path: `${ENT}:manager`, value: '{{managerId}}' }),
    status: 200,
    expect: (body, { t, vars }) => t.same((body[ENT] as Record<string, unknown>).manager, { value: vars.managerId }),
  },
  {
    name: 'Entra manager removal: a Remove op on the manager path',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Remove', path: `${ENT}:manager` }),
    status: 200,
    expect: (body, { t }) => t.notOk('manager' in (body[ENT] as Record<string, unknown>)),
  },
  {
    name: 'Entra manager via manager.value',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Replace', path: `${ENT}:manager.value`, value: '{{managerId}}' }),
    status: 200,
    expect: (body, { t, vars }) => t.same((body[ENT] as Record<string, unknown>).manager, { value: vars.managerId }),
  },
  {
    name: 'Entra single-value string attribute: Add nickName "Babs"',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp({ op: 'Add', path: 'nickName', value: 'Babs' }),
    status: 200,
    expect: (body, { t }) => t.equal(body.nickName, 'Babs'),
  },
  {
    name: 'multi-attribute update without the flag: one capitalised Replace per attribute, applied together',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp(
      { op: 'Replace', path: 'displayName', value: 'Pat Doe-Renamed' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: PAT_NEW_EMAIL },
      { op: 'Replace', path: 'name.givenName', value: 'Patricia' },
      { op: 'Replace', path: 'name.familyName', value: 'Doe-Renamed' },
      { op: 'Replace', path: 'externalId', value: 'Eqpj' },
      { op: 'Replace', path: `${ENT}:employeeNumber`, value: 'Eqpj' },
    ),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.displayName, 'Pat Doe-Renamed')
      state.t.same(body.emails, [{ primary: true, type: 'work', value: PAT_NEW_EMAIL }])
      state.t.match(body.name, { givenName: 'Patricia', familyName: 'Doe-Renamed' })
      state.t.equal(body.externalId, 'Eqpj')
      state.t.equal((body[ENT] as Record<string, unknown>).employeeNumber, 'Eqpj')
      const member = await memberByEmail(state, PAT_NEW_EMAIL)
      state.t.same(
        [member?.accountId, member?.displayName],
        [state.vars.accountId, 'Pat Doe-Renamed'],
        'the account follows the primary email and name',
      )
    },
  },
  {
    name: 'multi-attribute update with the flag: a no-path replace with dotted and URN keys',
    method: 'PATCH',
    path: '/Users/{{id}}?aadOptscim062020',
    body: patchOp(
      { op: 'replace', path: 'emails[type eq "work"].value', value: PAT_EMAIL },
      {
        op: 'replace',
        value: { displayName: 'Pat Doe', 'name.givenName': 'Pat', 'name.familyName': 'Doe', [`${ENT}:employeeNumber`]: '701984' },
      },
    ),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.displayName, 'Pat Doe')
      state.t.same(body.emails, [{ primary: true, type: 'work', value: PAT_EMAIL }])
      state.t.match(body.name, { givenName: 'Pat', familyName: 'Doe', formatted: 'Pat Doe' })
      state.t.equal((body[ENT] as Record<string, unknown>).employeeNumber, '701984')
      state.t.equal((await memberByEmail(state, PAT_EMAIL))?.accountId, state.vars.accountId)
    },
  },
  {
    name: 'snapshot before the failing PATCH requests',
    method: 'GET',
    path: '/Users/{{id}}',
    status: 200,
    expect: async (_body, state) => {
      state.vars.before = await snapshot(state, state.vars.id!)
    },
  },
  {
    name: 'a failing operation in the middle (Entra sends Remove when a mapped source empties) changes nothing and is named',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp(
      { op: 'Replace', path: 'displayName', value: 'Half Applied' },
      { op: 'Remove', path: 'userName' },
      { op: 'Replace', path: 'title', value: 'CEO' },
    ),
    status: 400,
    expect: async (body, state) => {
      state.t.same([body.schemas, body.status, body.scimType], [[URN.error], '400', 'mutability'])
      state.t.match(body.detail, /^Operation 2 \(remove userName\): /)
      state.t.equal(await snapshot(state, state.vars.id!), state.vars.before, 'user and team byte-for-byte unchanged')
    },
  },
  {
    name: 'a wrongly typed value in the middle names its operation',
    method: 'PATCH',
    path: '/Users/{{id}}',
    body: patchOp(
      { op: 'Replace', path: 'displayName', value: 'Half Applied' },
      { op: 'Replace', path: 'active', value: 'Yes' },
      { op: 'Replace', path: 'title', value: 'CEO' },
    ),
    status: 400,
    expect: async (body, state) => {
      state.t.same([body.status, body.scimType], ['400', 'invalidValue'])
      state.t.match(body.detail, /^Operation 2 \(replace active\): "active" must be a boolean/)
      state.t.equal(await snapshot(state, state.vars.id!), state.vars.before, 'user and team byte-for-byte unchanged')
    },
  },
  {
    name: 'Entra creates the work email: a user created without one',
    method: 'POST',
    path: '/Users',
    body: {
      schemas: [URN.user, ENT],
      externalId: '22222222-3333-4444-8555-666666666666',
      userName: KIM_EMAIL,
      active: true,
      displayName: 'Kim Lee',
    },
    status: 201,
    remember: { kimId: 'id' },
    expect: (body, { t }) => t.notOk('emails' in body),
  },
  {
    name: 'Entra creates the work email: Replace emails[type eq "work"].value on a user without one',
    method: 'PATCH',
    path: '/Users/{{kimId}}',
    body: patchOp({ op: 'Replace', path: 'emails[type eq "work"].value', value: KIM_EMAIL }),
    status: 200,
    expect: async (body, state) => {
      state.t.same(body.emails, [{ type: 'work', value: KIM_EMAIL }])
      state.t.equal((await memberByEmail(state, KIM_EMAIL))?.role, 'member')
    },
  },
  {
    name: 'the team Owner assigned in Entra stays Owner',
    method: 'POST',
    path: '/Users',
    body: entraUser(OWNER_EMAIL, '33333333-4444-4555-8666-777777777777'),
    status: 201,
    remember: { ownerUserId: 'id' },
    expect: async (_body, state) => state.t.equal((await memberByEmail(state, OWNER_EMAIL))?.role, 'owner'),
  },
  {
    name: 'Owner protection: Entra disabling the Owner is refused',
    method: 'PATCH',
    path: '/Users/{{ownerUserId}}',
    body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    status: 403,
    expect: async (body, state) => {
      state.t.same([body.schemas, body.status], [[URN.error], '403'])
      state.t.equal((await memberByEmail(state, OWNER_EMAIL))?.role, 'owner')
    },
  },
  {
    name: "Groups: create with Microsoft's extra schema URN",
    method: 'POST',
    path: '/Groups',
    body: {
      schemas: [URN.group, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Contoso Engineers',
      meta: { resourceType: 'Group' },
    },
    status: 201,
    remember: { groupId: 'id' },
    expect: (body, { t }) => t.same([body.schemas, body.displayName, body.members], [[URN.group], 'Contoso Engineers', undefined]),
  },
  {
    name: 'Groups: lookup by displayName with excludedAttributes=members',
    method: 'GET',
    path: filtered('Groups', 'displayName eq "Contoso Engineers"', '&excludedAttributes=members'),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((g) => [g.id, 'members' in g]),
        [[vars.groupId, false]],
      ),
  },
  {
    name: 'Groups: Add members [{"$ref": null, "value": id}]',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({
      op: 'Add',
      path: 'members',
      value: [
        { $ref: null, value: '{{id}}' },
        { $ref: null, value: '{{kimId}}' },
        { $ref: null, value: '{{managerId}}' },
      ],
    }),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.id, state.vars.kimId, state.vars.managerId].sort()),
  },
  {
    name: 'Entra removes members with a value list: Remove path members removes only those listed',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({
      op: 'Remove',
      path: 'members',
      value: [
        { $ref: null, value: '{{id}}' },
        { $ref: null, value: '{{kimId}}' },
      ],
    }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.managerId]),
  },
  {
    name: 'aadOptscim062020: members[value eq "id"] removes that member only',
    method: 'PATCH',
    path: '/Groups/{{groupId}}?aadOptscim062020',
    body: patchOp(
      { op: 'add', path: 'members', value: [{ value: '{{id}}' }] },
      { op: 'remove', path: 'members[value eq "{{managerId}}"]' },
    ),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.id]),
  },
  {
    name: 'Groups: Replace displayName',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'Replace', path: 'displayName', value: 'Contoso Engineering' }),
    status: 204,
  },
  {
    name: 'Groups: GET by id with excludedAttributes=members',
    method: 'GET',
    path: '/Groups/{{groupId}}?excludedAttributes=members',
    status: 200,
    expect: (body, { t }) => t.same([body.displayName, 'members' in body], ['Contoso Engineering', false]),
  },
  {
    name: 'DELETE user removes it from its groups and the team, and keeps the account',
    method: 'DELETE',
    path: '/Users/{{id}}',
    status: 204,
    expect: async (_body, state) => {
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [])
      state.t.equal(await memberByEmail(state, PAT_EMAIL), undefined)
      state.t.equal(await accountCount(db, PAT_EMAIL), 1)
    },
  },
  {
    name: 'the deleted user is 404 with a SCIM error',
    method: 'GET',
    path: '/Users/{{id}}',
    status: 404,
    expect: (body, { t }) => t.same([body.schemas, body.status], [[URN.error], '404']),
  },
  { name: 'Groups: DELETE the group', method: 'DELETE', path: '/Groups/{{groupId}}', status: 204 },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    await replay(t, app, await scimTeam(app, 'entra', OWNER_EMAIL), steps(db))
  })
}
