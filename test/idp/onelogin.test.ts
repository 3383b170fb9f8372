import { t } from '../helpers/file-test.js'
import { URN } from '../../src/scim/core/schemas.js'
import { scimTeam, testApp } from '../helpers/app.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'
import { accountCount, filtered, groupMemberIds, memberByEmail, patchOp, resources } from './idp-helpers.js'
import { replay, type Step } from './replay.js'

/**
 * OneLogin's SCIM provisioner, from OneLogin's developer guide ("Define your SCIM user schema",
 * "Implement RESTful SCIM APIs": the initial connection lookup, lookup before create, Create User,
 * Update User, Get/Create/Patch Group, Delete User). The body is the admin's SCIM JSON template:
 * the "Enterprise" one names SCIM 1.1 URNs (`urn:scim:schemas:core:1.0` in schemas, the enterprise
 * extension keyed `urn:scim:schemas:extension:enterprise:1.0` with a 1.1 `manager.managerId`) and
 * sends `emails` as one object; the SCIM v2 one sends `"active": "{$user.active}"`, a string, and
 * `"id": null`. Ops are lower case.
 */

const ENT = URN.enterpriseUser
const ENT11 = 'urn:scim:schemas:extension:enterprise:1.0'
const CORE11 = 'urn:scim:schemas:core:1.0'

/** The "OneLogin Enterprise User Schema" template, filled in. */
const enterpriseTemplate = (login: string, first: string, last: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE11, ENT11],
  userName: login,
  name: { familyName: last, givenName: first, formatted: `${first} ${last}` },
  emails: { value: login, type: 'work', primary: true },
  title: 'Account Executive',
  [ENT11]: { department: 'Sales', manager: { managerId: 'ol-mgr-7', displayName: 'Mo Manager' } },
  ...extra,
})

/** The SCIM v2 Enterprise template: active is "{$user.active}", a string. */
const v2Template = (login: string, first: string, last: string, active: string) => ({
  [ENT]: { department: 'Support' },
  active,
  emails: [{ value: login, type: 'work', primary: true }],
  meta: { resourceType: 'User' },
  name: { familyName: last, givenName: first, formatted: `${first} ${last}` },
  userName: login,
  id: null,
  schemas: [URN.user],
})

const steps = (db: TestDatabase): Step[] => [
  {
    name: 'initial connection: a userName that cannot exist finds nobody',
    method: 'GET',
    path: filtered('Users', 'userName eq "onelogin-connection-test-e3b0c442"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'provisioning request: lookup by userName before create',
    method: 'GET',
    path: filtered('Users', 'userName eq "olga@onelogin.example"'),
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'SCIM 1.1 enterprise URN as a POST body key (Enterprise template; 1.1 core URN in schemas, emails as one object)',
    method: 'POST',
    path: '/Users',
    body: enterpriseTemplate('olga@onelogin.example', 'Olga', 'Lind'),
    status: 201,
    remember: { olga: 'id' },
    expect: async (body, state) => {
      state.t.same(body.schemas, [URN.user, ENT], 'answered in SCIM 2.0 terms')
      state.t.same(body.emails, [{ value: 'olga@onelogin.example', type: 'work', primary: true }], 'one email object is a list of one')
      // managerId is SCIM 1.1's name for manager.value, unknown in 2.0: ignored like any unknown attribute.
      state.t.same(body[ENT], { department: 'Sales' }, 'the 1.1-keyed extension is stored under the 2.0 URN')
      state.t.equal((await memberByEmail(state, 'olga@onelogin.example'))?.role, 'member')
    },
  },
  {
    name: 'SCIM v2 template: "active" as the string "true", "id": null and meta are accepted',
    method: 'POST',
    path: '/Users',
    body: v2Template('omar@onelogin.example', 'Omar', 'Nasser', 'true'),
    status: 201,
    remember: { omar: 'id' },
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      state.t.match(body.id, /^[0-9a-f-]{36}$/, 'the server assigns the id')
      state.t.equal((await memberByEmail(state, 'omar@onelogin.example'))?.role, 'member')
    },
  },
  {
    name: 'a user created already inactive ("active": "false" on POST): SCIM user and account, no membership',
    method: 'POST',
    path: '/Users',
    body: v2Template('ona@onelogin.example', 'Ona', 'Park', 'false'),
    status: 201,
    remember: { ona: 'id' },
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'ona@onelogin.example'), undefined, 'not a member')
      state.t.equal(await accountCount(db, 'ona@onelogin.example'), 1, 'the account exists')
    },
  },
  {
    name: 'the inactive user is found by the userName lookup',
    method: 'GET',
    path: filtered('Users', 'userName eq "ona@onelogin.example"'),
    status: 200,
    expect: (body, { t, vars }) =>
      t.same(
        resources(body).map((u) => [u.id, u.active]),
        [[vars.ona, false]],
      ),
  },
  {
    name: 'later activation makes them Member on the same account',
    method: 'PATCH',
    path: '/Users/{{ona}}',
    body: patchOp({ op: 'replace', path: 'active', value: true }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, true)
      state.t.equal((await memberByEmail(state, 'ona@onelogin.example'))?.role, 'member')
      state.t.equal(await accountCount(db, 'ona@onelogin.example'), 1)
    },
  },
  {
    name: 'Update User: PUT of the Enterprise template',
    method: 'PUT',
    path: '/Users/{{olga}}',
    body: enterpriseTemplate('olga@onelogin.example', 'Olga', 'Lind-Berg', {
      title: 'Sales Director',
      [ENT11]: { department: 'Sales EMEA' },
    }),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.title, 'Sales Director')
      state.t.same(body[ENT], { department: 'Sales EMEA' })
      state.t.equal((await memberByEmail(state, 'olga@onelogin.example'))?.displayName, 'Olga Lind-Berg')
    },
  },
  {
    name: 'repeated identical PUT: the same user',
    method: 'PUT',
    path: '/Users/{{olga}}',
    body: enterpriseTemplate('olga@onelogin.example', 'Olga', 'Lind-Berg', {
      title: 'Sales Director',
      [ENT11]: { department: 'Sales EMEA' },
    }),
    status: 200,
    expect: (body, { t }) => {
      t.same(
        [body.title, body[ENT], body.emails],
        ['Sales Director', { department: 'Sales EMEA' }, [{ value: 'olga@onelogin.example', type: 'work', primary: true }]],
      )
    },
  },
  {
    name: 'SCIM 1.1 URN prefixes: lower-case replace of urn:scim:schemas:core:1.0:displayName',
    method: 'PATCH',
    path: '/Users/{{olga}}',
    body: patchOp({ op: 'replace', path: `${CORE11}:displayName`, value: 'Olga L.' }),
    status: 200,
    expect: (body, { t }) => t.equal(body.displayName, 'Olga L.'),
  },
  {
    name: 'SCIM 1.1 URN prefixes: replace urn:scim:schemas:extension:enterprise:1.0:department',
    method: 'PATCH',
    path: '/Users/{{olga}}',
    body: patchOp({ op: 'replace', path: `${ENT11}:department`, value: 'Sales APAC' }),
    status: 200,
    expect: (body, { t }) => t.same(body[ENT], { department: 'Sales APAC' }),
  },
  {
    name: 'OneLogin and Entra misspelled attributes are ignored (PATCH)',
    method: 'PATCH',
    path: '/Users/{{olga}}',
    body: patchOp(
      { op: 'replace', path: 'name.famliyName', value: 'Typo' },
      { op: 'replace', value: { titel: 'Typo', title: 'VP Sales' } },
      { op: 'add', path: 'phoneNumbrs', value: [{ value: '+1 555 0100', type: 'work' }] },
      { op: 'remove', path: 'adresses' },
    ),
    status: 200,
    expect: (body, { t }) => {
      t.equal(body.title, 'VP Sales', 'the rest of the request applies')
      t.equal((body.name as Record<string, unknown>).familyName, 'Lind-Berg')
      t.notOk('phoneNumbers' in body)
      t.notOk(JSON.stringify(body).includes('Typo'))
    },
  },
  {
    name: 'misspelled attributes in a PUT body are ignored',
    method: 'PUT',
    path: '/Users/{{omar}}',
    body: {
      ...v2Template('omar@onelogin.example', 'Omar', 'Nasser', 'true'),
      titel: 'Typo',
      emial: 'typo@onelogin.example',
      departement: 'Typo',
    },
    status: 200,
    expect: (body, { t }) => {
      t.notOk(JSON.stringify(body).includes('Typo') || JSON.stringify(body).includes('typo@'))
      t.same(body[ENT], { department: 'Support' })
    },
  },
  {
    name: 'Get Groups (refresh entitlements): an empty list',
    method: 'GET',
    path: '/Groups',
    status: 200,
    expect: (body, { t }) => t.equal(body.totalResults, 0),
  },
  {
    name: 'Create Group',
    method: 'POST',
    path: '/Groups',
    body: { schemas: [URN.group], displayName: 'OneLogin Sales' },
    status: 201,
    remember: { groupId: 'id' },
  },
  {
    name: 'Patch Group: lower-case add of members',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'add', path: 'members', value: [{ value: '{{olga}}' }, { value: '{{omar}}' }] }),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.olga, state.vars.omar].sort()),
  },
  {
    name: 'repeated identical add: no duplicates',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'add', path: 'members', value: [{ value: '{{olga}}' }, { value: '{{omar}}' }] }),
    status: 204,
    expect: async (_body, state) =>
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.olga, state.vars.omar].sort()),
  },
  {
    name: 'Patch Group: remove of listed members only',
    method: 'PATCH',
    path: '/Groups/{{groupId}}',
    body: patchOp({ op: 'remove', path: 'members', value: [{ value: '{{omar}}' }] }),
    status: 204,
    expect: async (_body, state) => state.t.same(await groupMemberIds(state, state.vars.groupId!), [state.vars.olga]),
  },
  {
    name: 'deprovision by PUT of the template with "active": "false"',
    method: 'PUT',
    path: '/Users/{{omar}}',
    body: v2Template('omar@onelogin.example', 'Omar', 'Nasser', 'false'),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'omar@onelogin.example'), undefined)
    },
  },
  {
    name: 'repeated deprovision: the same result',
    method: 'PUT',
    path: '/Users/{{omar}}',
    body: v2Template('omar@onelogin.example', 'Omar', 'Nasser', 'false'),
    status: 200,
    expect: async (body, state) => {
      state.t.equal(body.active, false)
      state.t.equal(await memberByEmail(state, 'omar@onelogin.example'), undefined)
    },
  },
  {
    name: 'reactivate by PUT with "active": "true"',
    method: 'PUT',
    path: '/Users/{{omar}}',
    body: v2Template('omar@onelogin.example', 'Omar', 'Nasser', 'true'),
    status: 200,
    expect: async (_body, state) => {
      state.t.equal((await memberByEmail(state, 'omar@onelogin.example'))?.role, 'member')
      state.t.equal(await accountCount(db, 'omar@onelogin.example'), 1)
    },
  },
  {
    name: 'Delete User: gone from the team and its groups',
    method: 'DELETE',
    path: '/Users/{{olga}}',
    status: 204,
    expect: async (_body, state) => {
      state.t.equal(await memberByEmail(state, 'olga@onelogin.example'), undefined)
      state.t.same(await groupMemberIds(state, state.vars.groupId!), [])
    },
  },
]

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    const app = await testApp(db)
    t.teardown(() => app.close())
    await db.reset()
    await replay(t, app, await scimTeam(app, 'onelogin'), steps(db))
  })
}
