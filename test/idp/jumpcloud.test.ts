import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { scimTeam, testApp } from '../helpers/app.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { accountCount, filtered, groupMemberIds, memberByEmail, patchOp, teamMembers } from './idp-helpers.js'
import { replay, type Step } from './replay.js'

/**
 * JumpCloud's custom SCIM identity-management integration, from JumpCloud's "Identity Management
 * using a Custom SCIM Integration" guide: Test Connection creates a test user and a test group and
 * deletes both; users and groups are then provisioned, updated, deactivated and deleted. The rest
 * is not in that guide but in integrators' notes: lower-case ops, whole-user PUT updates, members
 * removed with a value list (Entra style), and the same adds sent more than once
 * (patch-dialects.test.ts "JumpCloud repeats adds" covers the engine; these steps the service).
 */

const ENT = URN.enterpriseUser

const jcUser = (login: string, first: string, last: string, extra: Record<string, unknown> = {}) => ({
  schemas: [URN.user, ENT],
  userName: login,
  externalId: `jc-${first.toLowerCase()}`,
  displayName: `${first} ${last}`,
  name: { givenName: first, familyName: last },
  emails: [{ value: login, type: 'work', primary: true }],
  title: 'Analyst',
  active: true,
  [ENT]: { employeeNumber: '42', department: 'Finance' },
  ...extra,
})

const steps = (db: TestDatabase): Step[] => [
  {
    name: 'Test Connection: creates a test user',
    method: 'POST',
    path: '/Users',
    body: jcUser('jc-test-user@jumpcloud.example', 'Test', 'User'),
    status: 201,
    remember: { testUser: 'id' },
  },
  {
    name: 'Test Connection: creates a test group',
    method: 'POST',
    path: '/Groups',
    body: { schemas: [URN.group], displayName: 'JumpCloud Test Group' },
    status: 201,
    remember: { testGroup: 'id' },
  },
  { name: 'Test Connection: deletes the test group', method: 'DELETE', path: '/Groups/{{testGroup}}', status: 204 },
  {
    name: 'Test Connection: deletes the test user, leaving the team as it was',
    method: 'DELETE',
    path: '/Users/{{testUser}}',
    status: 204,
    expect: async (_body, state) =>
      state.t.same(
        (await teamMembers(state)).map((m) => m.role),
        ['owner'],
      ),
  },
  {
    name: 'lookup by userName before create',
    method: 'GET',
    path: filtered('Users', 'userName eq "jane@jumpcloud.example"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'create with the enterprise extension',
    method: 'POST',
    path: '/Users',
    body: jcUser('jane@jumpcloud.example', 'Jane', 'Roe'),
    status: 201,
    remember: { jane: 'id' },
    expect: async (body, state) => {
      state.t.same(body[ENT], { employeeNumber: '42', department: 'Finance' })
      state.t.equal((await memberByEmail(state, 'jane@jumpcloud.example'))?.role, 'member')
    },
  },
  {
    name: 'a suspended user is created already inactive: SCIM user and account, no membership',
    method: 'POST',
    path: '/Users',
    body: jcUser('jack@jumpcloud.example', 'Jack', 'Doe', { active: false }),
    status: 201,
    remember: { jack: 'id' },
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'jack@jumpcloud.example'), undefined)
      state.t.equal(await accountCount(db, 'jack@jumpcloud.example'), 1)
    },
  },
  {
    name: 'JumpCloud updates with PUT of the whole user',
    method: 'PUT',
    path: '/Users/{{jane}}',
    body: { ...jcUser('jane@jumpcloud.example', 'Jane', 'Roe-Smith', { title: 'Controller' }), id: '{{jane}}' },
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.title, 'Controller')
      state.t.equal((await memberByEmail(state, 'jane@jumpcloud.example'))?.displayName, 'Jane Roe-Smith')
    },
  },
  {
    name: 'later activation makes the suspended user Member: lower-case no-path replace',
    method: 'PATCH',
    path: '/Users/{{jack}}',
    body: patchOp({ op: 'replace', value: { active: true } }),
    status: 200,
    expect: async (_body, state) => {
      state.t.equal((await memberByEmail(state, 'jack@jumpcloud.example'))?.role, 'member')
      state.t.equal(await accountCount(db, 'jack@jumpcloud.example'), 1, 'the same account')
    },
  },
  {
    name: 'JumpCloud repeats adds: the same email added twice in one request is stored once',
    method: 'PATCH',
    path: '/Users/{{jane}}',
    body: patchOp(
      { op: 'add', path: 'emails', value: [{ value: 'jane.home@example.net', type: 'home' }] },
      { op: 'add', path: 'emails', value: [{ value: 'jane.home@example.net', type: 'home' }] },
    ),
    status: 200,
    expect: (body, { t }) =>
      t.same(body.emails, [
        { value: 'jane@jumpcloud.example', type: 'work', primary: true },
        { value: 'jane.home@example.net', type: 'home' },
      ]),
  },
  {
    name: 'JumpCloud repeats adds: the whole request again changes nothing',
    method: 'PATCH',
    path: '/Users/{{jane}}',
    body: patchOp({ op: 'add', path: 'emails', value: [{ value: 'JANE.HOME@example.net', type: 'home' }] }),
    status: 200,
    expect: (body, { t }) => t.equal((body.emails as unknown[]).length, 2, 'emails compare case-insensitively'),
  },
  {
    name: 'attributes of an unknown extension (custom attribute mappings) are ignored',
    method: 'PATCH',
    path: '/Users/{{jane}}',
    body: patchOp(
      { op: 'add', path: 'urn:ietf:params:scim:schemas:extension:jumpcloud:2.0:User:costCode', value: 'X-1' },
      { op: 'replace', path: `${ENT}:costCenter`, value: 'CC-9' },
    ),
    status: 200,
    expect: (body, { t }) => t.same(body[ENT], { employeeNumber: '42', department: 'Finance', costCenter: 'CC-9' }),
  },
  {
    name: 'create a group with a member',
    method: 'POST',
    path: '/Groups',
    body: { schemas: [URN.group], displayName: 'Finance', members: [{ value: '{{jane}}' }] },
    status: 201,
    remember: { groupId: 'id' },
  },
  {
    name: 'JumpCloud repeats group member adds: one member added twice in one request',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp(
      { op: 'add', path: 'members', value: [{ value: '{{jack}}' }] },
      { op: 'add', path: 'members', value: [{ value: '{{jack}}' }] },
    ),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.jane, state.vars.jack].sort()),
  },
  {
    name: 'JumpCloud repeats group member adds: the same request again',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'add', path: 'members', value: [{ value: '{{jane}}' }, { value: '{{jack}}' }] }),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.jane, state.vars.jack].sort()),
  },
  {
    name: 'members removed with a value list (Entra style): only those',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'remove', path: 'members', value: [{ value: '{{jack}}' }] }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.jane]),
  },
  {
    name: 'rename: lower-case replace of displayName',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'replace', path: 'displayName', value: 'Finance & Ops' }),
    status: 204,
  },
  {
    name: 'the group reads back renamed',
    method: 'GET',
    path: '/Groups/{{groupId}}',
    status: 200,
    expect: (body, { t }) => t.equal(body.displayName, 'Finance & Ops'),
  },
  {
    name: 'deactivate: lower-case replace of active',
    method: 'PATCH',
    path: '/Users/{{jack}}',
    body: patchOp({ op: 'replace', path: 'active', value: false }),
    status: 200,
    expect: async (_body, state) => state.t.equal(await memberByEmail(state, 'jack@jumpcloud.example'), undefined),
  },
  {
    name: 'repeated deactivation: the same result',
    method: 'PATCH',
    path: '/Users/{{jack}}',
    body: patchOp({ op: 'replace', path: 'active', value: false }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'jack@jumpcloud.example'), undefined)
    },
  },
  {
    name: 'DELETE user removes it from its groups and the team',
    method: 'DELETE',
    path: '/Users/{{jane}}',
    status: 204,
    expect: async (_body, state) => {
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [])
      state.t.equal(await memberByEmail(state, 'jane@jumpcloud.example'), undefined)
    },
  },
  { name: 'a repeated DELETE is 404', method: 'DELETE', path: '/Users/{{jane}}', status: 404 },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    await replay(t, app, await scimTeam(app, 'jumpcloud'), steps(db))
  })
}
