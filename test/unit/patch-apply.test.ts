import { t } from '../helpers/file-test.js'
import { normalizeResource } from '../../src/scim/core/resource-input.js'
import { URN } from '../../src/scim/core/schemas.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import { MAX_MULTI_VALUES, MAX_PATCH_WORK } from '../../src/scim/limits.js'
import { applyPatch, parsePatchRequest } from '../../src/scim/patch/index.js'
import { errorOf } from '../helpers/scim-error.js'

const ID = '2819c223-7f76-453a-919d-413861904646'
const MANAGER = '26118915-6090-4610-87e4-49d8ca9f808d'
const ENT = URN.enterpriseUser

/** Barbara Jensen as GET /Users/{id} renders her (RFC 7643 §8.2, trimmed). */
function barbara(): Record<string, unknown> {
  return renderUser(
    {
      id: ID,
      version: 3,
      created: new Date('2024-01-01T10:00:00Z'),
      lastModified: new Date('2024-06-01T10:00:00Z'),
      doc: {
        externalId: 'bjensen',
        userName: 'bjensen@example.com',
        name: { formatted: 'Ms. Barbara J Jensen', familyName: 'Jensen', givenName: 'Barbara' },
        displayName: 'Babs Jensen',
        title: 'Tour Guide',
        active: true,
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@jensen.org', type: 'home' },
        ],
        phoneNumbers: [{ value: '555-555-5555', type: 'work' }],
        [ENT]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: MANAGER } },
      },
    },
    `https://scim.example.test/scim/v2/ep/Users/${ID}`,
  )
}

/** Parses like the route does, applies, and checks the result is a storable document. */
function patch(resource: Record<string, unknown>, ...operations: unknown[]): Record<string, unknown> {
  const result = applyPatch(resource, parsePatchRequest({ schemas: [URN.patchOp], Operations: operations }), userView)
  normalizeResource(result, userView)
  return result
}

t.test('replace a simple attribute; the input is not mutated', async (t) => {
  const user = barbara()
  const before = structuredClone(user)
  const result = patch(user, { op: 'replace', path: 'displayName', value: 'Barbara J.' })
  t.equal(result.displayName, 'Barbara J.')
  t.strictSame(user, before, 'input unchanged')
  t.equal(result.id, ID, 'id, meta and schemas stay')
  t.strictSame(result.meta, before.meta)
  t.strictSame(result.schemas, before.schemas)
})

t.test('attribute names resolve case-insensitively to canonical names', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'DISPLAYNAME', value: 'B' }, { op: 'add', path: 'NickName', value: 'Babs' })
  t.equal(result.displayName, 'B')
  t.equal(result.nickName, 'Babs')
  t.notOk('DISPLAYNAME' in result)
})

t.test('name.givenName: sub-attribute add, replace and remove', async (t) => {
  let result = patch(barbara(), { op: 'replace', path: 'name.givenName', value: 'Barb' })
  t.strictSame(result.name, { formatted: 'Ms. Barbara J Jensen', familyName: 'Jensen', givenName: 'Barb' })
  result = patch(barbara(), { op: 'remove', path: 'name.givenName' })
  t.strictSame(result.name, { formatted: 'Ms. Barbara J Jensen', familyName: 'Jensen' })
  const bare = patch(barbara(), { op: 'remove', path: 'name' })
  t.notOk('name' in bare)
  result = patch(bare, { op: 'add', path: 'name.middleName', value: 'Jane' })
  t.strictSame(result.name, { middleName: 'Jane' }, 'creates the complex value')
})

t.test('complex add and replace merge sub-attributes (RFC 7644 §3.5.2.1, §3.5.2.3)', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'name', value: { givenName: 'B', honorificPrefix: 'Dr.' } })
  t.strictSame(result.name, { formatted: 'Ms. Barbara J Jensen', familyName: 'Jensen', givenName: 'B', honorificPrefix: 'Dr.' })
})

t.test('core-URN-qualified paths', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: `${URN.user}:userName`, value: 'barbara@example.com' })
  t.equal(result.userName, 'barbara@example.com')
  const whole = patch(barbara(), { op: 'replace', path: URN.user, value: { title: 'Lead' } })
  t.equal(whole.title, 'Lead', 'the core URN alone addresses the resource, like no path')
})

t.test('enterprise extension: URN path, sub-attribute, whole extension, no-path URN key', async (t) => {
  let result = patch(barbara(), { op: 'replace', path: `${ENT}:department`, value: 'Sales' })
  t.strictSame(result[ENT], { employeeNumber: '701984', department: 'Sales', manager: { value: MANAGER } })
  result = patch(barbara(), { op: 'replace', value: { [ENT]: { department: 'Marketing', costCenter: '4130' } } })
  t.strictSame(result[ENT], { employeeNumber: '701984', department: 'Marketing', manager: { value: MANAGER }, costCenter: '4130' })
  result = patch(barbara(), { op: 'replace', value: { [`${ENT}:department`]: 'Legal' } })
  t.equal((result[ENT] as Record<string, unknown>).department, 'Legal')
  result = patch(barbara(), { op: 'replace', path: `${ENT}:manager.value`, value: 'mgr-2' })
  t.strictSame((result[ENT] as Record<string, unknown>).manager, { value: 'mgr-2' })
  result = patch(barbara(), { op: 'replace', path: `${ENT}:manager`, value: { value: 'mgr-3' } })
  t.strictSame((result[ENT] as Record<string, unknown>).manager, { value: 'mgr-3' })
  result = patch(barbara(), { op: 'replace', path: ENT, value: { division: 'West' } })
  t.equal((result[ENT] as Record<string, unknown>).division, 'West', 'bare extension URN path merges into the extension')
  t.equal((result[ENT] as Record<string, unknown>).department, 'Tour Operations')
  result = patch(barbara(), { op: 'remove', path: ENT })
  t.notOk(ENT in result, 'remove the whole extension')
  t.strictSame(result.schemas, [URN.user], 'schemas no longer lists it')
  const added = patch(result, { op: 'add', path: `${ENT.toLowerCase()}:Department`, value: 'Ops' })
  t.strictSame(added[ENT], { department: 'Ops' }, 'extension URN and attribute names are case-insensitive; written canonically')
  t.strictSame(added.schemas, [URN.user, ENT], 'schemas lists the extension again')
})

t.test('no path: plain, dotted, value-path and URN keys each apply as if they were the path', async (t) => {
  const result = patch(barbara(), {
    op: 'replace',
    value: {
      displayName: 'BJ',
      'name.givenName': 'Barb',
      'emails[type eq "home"].value': 'bj@home.example',
      [`${ENT}:division`]: 'North',
      [ENT]: { costCenter: '7' },
    },
  })
  t.equal(result.displayName, 'BJ')
  t.equal((result.name as Record<string, unknown>).givenName, 'Barb')
  t.strictSame(result.emails, [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'bj@home.example', type: 'home' },
  ])
  t.match(result[ENT], { division: 'North', costCenter: '7', department: 'Tour Operations' })
})

t.test('Okta deactivation: no-path replace {active: false}', async (t) => {
  const result = patch(barbara(), { op: 'replace', value: { active: false } })
  t.equal(result.active, false)
  t.equal(normalizeResource(result, userView).active, false)
})

t.test('add to a multi-valued attribute appends; a single object is wrapped', async (t) => {
  let result = patch(barbara(), { op: 'add', path: 'emails', value: [{ value: 'b@other.example', type: 'other' }] })
  t.equal((result.emails as unknown[]).length, 3)
  result = patch(barbara(), { op: 'add', path: 'phoneNumbers', value: { value: '555-0100', type: 'mobile' } })
  t.strictSame(result.phoneNumbers, [
    { value: '555-555-5555', type: 'work' },
    { value: '555-0100', type: 'mobile' },
  ])
  result = patch(barbara(), { op: 'add', value: { ims: [{ value: 'babs', type: 'xmpp' }] } })
  t.strictSame(result.ims, [{ value: 'babs', type: 'xmpp' }])
})

t.test('idempotent repeated add: equal values (case-insensitive value plus type) are not duplicated', async (t) => {
  const op = { op: 'add', path: 'emails', value: [{ value: 'BJensen@Example.com', type: 'work' }] }
  const once = patch(barbara(), op)
  const twice = patch(once, op, op)
  t.equal((twice.emails as unknown[]).length, 2)
  t.strictSame(twice, once)
  const otherType = patch(barbara(), { op: 'add', path: 'emails', value: [{ value: 'bjensen@example.com', type: 'home' }] })
  t.equal((otherType.emails as unknown[]).length, 3, 'same address with another type is another value')
  const addresses = {
    op: 'add',
    path: 'addresses',
    value: [{ streetAddress: '100 Universal City Plaza', locality: 'Hollywood', type: 'work' }],
  }
  const withAddress = patch(barbara(), addresses, addresses)
  t.equal((withAddress.addresses as unknown[]).length, 1, 'values without "value" compare every sub-attribute')
})

t.test('replace without filter replaces the whole list', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'emails', value: [{ value: 'only@example.com', type: 'work' }] })
  t.strictSame(result.emails, [{ value: 'only@example.com', type: 'work' }])
})

t.test('replace with a filter replaces the matching entries or their sub-attribute', async (t) => {
  let result = patch(barbara(), { op: 'replace', path: 'emails[type eq "home"]', value: { value: 'new@home.example' } })
  t.strictSame(result.emails, [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { type: 'home', value: 'new@home.example' },
  ])
  result = patch(barbara(), { op: 'replace', path: 'emails[value eq "BABS@jensen.org"].type', value: 'other' })
  t.strictSame((result.emails as unknown[])[1], { value: 'babs@jensen.org', type: 'other' })
  result = patch(barbara(), { op: 'replace', path: 'emails.type', value: 'other' })
  t.strictSame(
    (result.emails as Record<string, unknown>[]).map((e) => e.type),
    ['other', 'other'],
    'a sub-attribute of a multi-valued attribute without filter applies to every value',
  )
})

t.test('a filter that matches nothing creates the entry from its eq comparisons', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '555-0199' })
  t.strictSame(result.phoneNumbers, [
    { value: '555-555-5555', type: 'work' },
    { type: 'mobile', value: '555-0199' },
  ])
  const both = patch(barbara(), { op: 'add', path: 'addresses[type eq "work" and country eq "US"]', value: { locality: 'Hollywood' } })
  t.strictSame(both.addresses, [{ type: 'work', country: 'US', locality: 'Hollywood' }])
  const error = errorOf(() => patch(barbara(), { op: 'replace', path: 'phoneNumbers[type ne "work"].value', value: '1' }))
  t.equal(error.scimType, 'noTarget')
  t.match(error.detail, /^Operation 1 \(replace phoneNumbers\[type ne "work"\]\.value\): no value of phoneNumbers matches the filter/)
  const contradiction = errorOf(() => patch(barbara(), { op: 'add', path: 'phoneNumbers[type eq "a" and type eq "b"].value', value: '1' }))
  t.equal(contradiction.scimType, 'noTarget')
})

t.test('remove with a filter removes only the matching values', async (t) => {
  let result = patch(barbara(), { op: 'remove', path: 'emails[type eq "home"]' })
  t.strictSame(result.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }])
  result = patch(barbara(), { op: 'remove', path: 'emails[type eq "fax"]' })
  t.strictSame(result.emails, barbara().emails, 'nothing matches: nothing changes')
  result = patch(barbara(), { op: 'remove', path: 'emails[type eq "work" or type eq "home"]' })
  t.notOk('emails' in result, 'no values left: the attribute is unassigned')
  result = patch(barbara(), { op: 'remove', path: 'emails[type eq "work"].primary' })
  t.strictSame((result.emails as unknown[])[0], { value: 'bjensen@example.com', type: 'work' }, 'remove a sub-attribute of matching values')
  result = patch(barbara(), { op: 'remove', path: 'emails[type eq "home"].value' })
  t.strictSame(result.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }], 'an email without its address is dropped')
})

t.test('remove with a value list removes only the listed values', async (t) => {
  const result = patch(barbara(), { op: 'remove', path: 'emails', value: [{ value: 'BABS@JENSEN.ORG' }] })
  t.strictSame(result.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }])
  const none = patch(barbara(), { op: 'remove', path: 'emails', value: [{ value: 'unknown@example.com' }] })
  t.strictSame(none.emails, barbara().emails)
  const all = patch(barbara(), { op: 'remove', path: 'emails' })
  t.notOk('emails' in all, 'without a value the whole attribute goes')
})

t.test('replace with value null removes the target', async (t) => {
  const result = patch(
    barbara(),
    { op: 'replace', path: 'title', value: null },
    { op: 'replace', value: { nickName: null, displayName: null } },
  )
  t.notOk('title' in result)
  t.notOk('displayName' in result)
  const added = patch(barbara(), { op: 'add', path: 'title', value: null })
  t.equal(added.title, 'Tour Guide', 'add null adds nothing')
})

t.test('primary: setting one clears the others', async (t) => {
  let result = patch(barbara(), { op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] })
  t.strictSame(result.emails, [
    { value: 'bjensen@example.com', type: 'work', primary: false },
    { value: 'babs@jensen.org', type: 'home' },
    { value: 'new@example.com', type: 'other', primary: true },
  ])
  result = patch(barbara(), { op: 'replace', path: 'emails[type eq "home"].primary', value: true })
  t.strictSame(
    (result.emails as Record<string, unknown>[]).map((e) => e.primary),
    [false, true],
  )
  result = patch(barbara(), {
    op: 'replace',
    path: 'emails',
    value: [
      { value: 'a@example.com', primary: true },
      { value: 'b@example.com', primary: true },
    ],
  })
  t.strictSame(
    (result.emails as Record<string, unknown>[]).map((e) => e.primary),
    [false, true],
    'within one list the last one wins',
  )
  result = patch(barbara(), { op: 'add', path: 'emails', value: [{ value: 'babs@jensen.org', type: 'home', primary: true }] })
  t.strictSame(
    result.emails,
    [
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'babs@jensen.org', type: 'home', primary: true },
    ],
    'an add that repeats a value updates it',
  )
})

t.test('remove userName: required attributes cannot be removed (mutability)', async (t) => {
  const user = barbara()
  const error = errorOf(() => patch(user, { op: 'replace', path: 'title', value: 'x' }, { op: 'remove', path: 'userName' }))
  t.equal(error.status, 400)
  t.equal(error.scimType, 'mutability')
  t.equal(error.detail, 'Operation 2 (remove userName): userName is required and cannot be removed')
  const nulled = errorOf(() => patch(user, { op: 'replace', value: { userName: null } }))
  t.equal(nulled.scimType, 'mutability')
  t.equal(nulled.detail, 'Operation 1 (replace without path, attribute "userName"): userName is required and cannot be removed')
  t.equal(user.userName, 'bjensen@example.com')
})

t.test('readOnly attributes cannot be added, replaced or removed', async (t) => {
  const cases: [unknown, string][] = [
    [{ op: 'replace', path: 'id', value: 'other' }, 'Operation 1 (replace id): id is readOnly and cannot be replaced'],
    [{ op: 'remove', path: 'id' }, 'Operation 1 (remove id): id is readOnly and cannot be removed'],
    [
      { op: 'replace', path: 'meta.lastModified', value: '2025-01-01T00:00:00Z' },
      'Operation 1 (replace meta.lastModified): meta.lastModified is readOnly and cannot be replaced',
    ],
    [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }, 'Operation 1 (add groups): groups is readOnly and cannot be added'],
    [
      { op: 'remove', path: 'groups[value eq "g1"]' },
      'Operation 1 (remove groups[value eq "g1"]): groups[value eq "g1"] is readOnly and cannot be removed',
    ],
    [
      { op: 'replace', path: `${ENT}:manager.displayName`, value: 'x' },
      `Operation 1 (replace ${ENT}:manager.displayName): ${ENT}:manager.displayName is readOnly and cannot be replaced`,
    ],
    [
      { op: 'replace', value: { id: 'someone-else' } },
      'Operation 1 (replace without path, attribute "id"): id is readOnly and cannot be replaced',
    ],
    [
      { op: 'add', value: { groups: [{ value: 'g' }] } },
      'Operation 1 (add without path, attribute "groups"): groups is readOnly and cannot be added',
    ],
  ]
  for (const [op, detail] of cases) {
    const error = errorOf(() => patch(barbara(), op))
    t.equal(error.status, 400, detail)
    t.equal(error.scimType, 'mutability', detail)
    t.equal(error.detail, detail)
  }
})

t.test('Okta echoes id, schemas and meta in no-path replaces: ignored', async (t) => {
  const user = barbara()
  const result = patch(user, { op: 'replace', value: { id: ID, schemas: [URN.user], meta: { resourceType: 'User' }, displayName: 'B' } })
  t.equal(result.displayName, 'B')
  t.strictSame(result.meta, user.meta)
})

t.test('password (writeOnly) may be set; normalizeResource drops it', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'password', value: 't1meMa$heen' })
  t.equal(result.password, 't1meMa$heen')
  t.notOk('password' in normalizeResource(result, userView))
})

t.test('unknown attributes are ignored on add, replace and remove', async (t) => {
  const result = patch(
    barbara(),
    { op: 'add', path: 'favouriteColour', value: 'blue' },
    { op: 'replace', path: 'name.nickname', value: 'x' },
    { op: 'remove', path: 'emails[type eq "work"].label' },
    { op: 'replace', path: 'urn:example:custom:2.0:User:badge', value: '7' },
    { op: 'remove', path: 'shoeSize' },
    { op: 'replace', value: { 'not a path': 1, favouriteColour: 'red' } },
  )
  t.strictSame(result, barbara())
})

t.test('operations apply in order and all-or-nothing errors name the operation', async (t) => {
  const result = patch(
    barbara(),
    { op: 'add', path: 'title', value: 'A' },
    { op: 'replace', path: 'title', value: 'B' },
    { op: 'remove', path: 'title' },
  )
  t.notOk('title' in result)
  const error = errorOf(() =>
    patch(barbara(), { op: 'replace', path: 'title', value: 'x' }, { op: 'replace', path: 'emails[bogus eq "x"]', value: {} }),
  )
  t.equal(error.status, 400)
  t.equal(error.scimType, 'invalidFilter', 'RFC 7644 §3.12: invalidFilter covers PATCH path filters')
  t.match(error.detail, /^Operation 2 \(replace emails\[bogus eq "x"\]\): Unknown attribute "emails.bogus"/)
  const notMulti = errorOf(() => patch(barbara(), { op: 'replace', path: 'displayName[value eq "x"]', value: 'y' }))
  t.equal(notMulti.scimType, 'invalidPath')
})

t.test('wrong value shapes are 400 invalidValue naming the operation', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ op: 'replace', path: 'name', value: 5 }, /^Operation 1 \(replace name\): name is a complex attribute/],
    [
      { op: 'replace', path: 'displayName', value: ['a', 'b'] },
      /^Operation 1 \(replace displayName\): displayName takes a single value, not a list/,
    ],
    [{ op: 'replace', path: 'name.givenName', value: { x: 1 } }, /takes a single value, not an object/],
    [{ op: 'add', path: 'emails', value: ['a@b.c'] }, /each value of emails must be an object, found a string/],
    [{ op: 'replace', path: ENT, value: 'x' }, /must be an object of extension attributes/],
    [{ op: 'replace', path: URN.user, value: 3 }, /without a "path", "value" must be an object/],
  ]
  for (const [op, detail] of cases) {
    const error = errorOf(() => patch(barbara(), op))
    t.equal(error.status, 400)
    t.equal(error.scimType, 'invalidValue', String(detail))
    t.match(error.detail, detail)
  }
  const typed = errorOf(() => patch(barbara(), { op: 'replace', path: 'active', value: 'maybe' }))
  t.equal(typed.scimType, 'invalidValue', 'scalar types too')
  t.match(typed.detail, /^Operation 1 \(replace active\): "active" must be a boolean/)
})

t.test('each value is checked where it is written, as normalizeResource would check it, and the error names its operation', async (t) => {
  const first = { op: 'replace', path: 'title', value: 'Guide' }
  const cases: [unknown, RegExp][] = [
    [
      { op: 'add', value: { displayName: 5 } },
      /^Operation 2 \(add without path, attribute "displayName"\): "displayName" must be a string/,
    ],
    [
      { op: 'replace', path: 'userName', value: '  ' },
      /^Operation 2 \(replace userName\): The required attribute "userName" is missing or empty/,
    ],
    [
      { op: 'replace', path: 'name', value: { givenName: '\u001b[31mB' } },
      /^Operation 2 \(replace name\): "name.givenName" must not contain control characters/,
    ],
    [
      { op: 'replace', path: `${ENT}:manager.value`, value: 7 },
      new RegExp(`^Operation 2 \\(replace ${ENT}:manager.value\\): "${ENT}:manager.value" must be a string`),
    ],
    // The element a filter creates (RFC 7644 §3.5.2.1 add through a filter that matches nothing) is written too.
    [
      { op: 'add', path: 'emails[value eq "nimda\u202e@x.io"].type', value: 'work' },
      /^Operation 2 \(add emails\[.*\]\.type\): "emails.value" must not contain bidirectional formatting characters/,
    ],
    [
      { op: 'replace', path: 'emails[type eq "work"]', value: { primary: 'perhaps' } },
      /^Operation 2 \(replace emails\[type eq "work"\]\): "emails.primary" must be a boolean/,
    ],
    [
      { op: 'add', path: 'emails', value: Array.from({ length: MAX_MULTI_VALUES }, (_, i) => ({ value: `${i}@x.io` })) },
      /^Operation 2 \(add emails\): "emails" has more than 100 values/,
    ],
  ]
  for (const [op, detail] of cases) {
    const error = errorOf(() => patch(barbara(), first, op))
    t.same([error.status, error.scimType], [400, 'invalidValue'], String(detail))
    t.match(error.detail, detail)
  }
})

t.test('caseExact false compares with ASCII case folding, as filters and unique indexes do (case-fold.ts)', async (t) => {
  const alice = patch(barbara(), { op: 'replace', path: 'emails', value: [{ value: 'alíce@x.io', type: 'work' }] })
  const accented = patch(alice, { op: 'add', path: 'emails', value: [{ value: 'ALÍCE@x.io', type: 'work' }] })
  t.strictSame(
    accented.emails,
    [
      { value: 'alíce@x.io', type: 'work' },
      { value: 'ALÍCE@x.io', type: 'work' },
    ],
    'Í is not folded: another address is added',
  )
  const ascii = patch(alice, { op: 'add', path: 'emails', value: [{ value: 'ALíCE@x.io', type: 'work' }] })
  t.strictSame(ascii.emails, [{ value: 'ALíCE@x.io', type: 'work' }], 'A-Z are: the same address, updated')
  const removed = patch(accented, { op: 'remove', path: 'emails', value: [{ value: 'alíce@x.io' }] })
  t.strictSame(removed.emails, [{ value: 'ALÍCE@x.io', type: 'work' }], 'remove by value matches the same way')
})

t.test(`one PATCH looks at ${MAX_PATCH_WORK} values at most; past them 400 tooMany names the operation`, async (t) => {
  const user = patch(barbara(), {
    op: 'replace',
    path: 'emails',
    value: Array.from({ length: 100 }, (_, i) => ({ value: `e${i}@x.io`, type: 'work' })),
  })
  // Each looks at the 100 emails and at its value.
  const replace = { op: 'replace', path: 'emails[type eq "work"].display', value: 'W' }
  const most = Math.floor(MAX_PATCH_WORK / 101)
  t.equal((patch(user, ...Array(most).fill(replace)).emails as { display?: string }[])[99]?.display, 'W', `${most} such operations apply`)
  const over = errorOf(() => patch(user, ...Array(most + 1).fill(replace)))
  t.same([over.status, over.scimType], [400, 'tooMany'])
  t.match(over.detail, new RegExp(`^Operation ${most + 1} \\(replace emails\\[type eq "work"\\]\\.display\\): .*${MAX_PATCH_WORK} values`))
  // Members of a value without a path count one each.
  const members = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`unknown${i}`, 1]))
  t.strictSame(patch(barbara(), ...Array(10).fill({ op: 'add', value: members(MAX_PATCH_WORK / 10) })), barbara())
  t.equal(errorOf(() => patch(barbara(), ...Array(11).fill({ op: 'add', value: members(MAX_PATCH_WORK / 10) }))).scimType, 'tooMany')
  // A member named by a value path costs the comparisons parsed, even for an attribute that does not exist.
  const valuePath = (i: number) => `nonsense[${Array.from({ length: 100 }, (_, j) => `value eq "${i}-${j}"`).join(' or ')}]`
  const paths = Object.fromEntries(Array.from({ length: MAX_PATCH_WORK / 100 }, (_, i) => [valuePath(i), 'x']))
  t.equal(errorOf(() => patch(barbara(), { op: 'add', value: paths })).scimType, 'tooMany')
})

t.test('SCIM 1.1 URN prefixes resolve like the core schema', async (t) => {
  const result = patch(barbara(), { op: 'replace', path: 'urn:scim:schemas:core:1.0:displayName', value: 'B' })
  t.equal(result.displayName, 'B')
})
