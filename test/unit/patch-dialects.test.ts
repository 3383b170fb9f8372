/** Requests as real provisioning clients send them (src/scim/patch/dialects.ts names each quirk's test here). */
import { t } from '../helpers/file-test.js'
import { attribute } from '../../src/scim/core/attribute.js'
import { normalizeResource, type ResourceSchemaView } from '../../src/scim/core/resource-input.js'
import { URN, commonAttributes } from '../../src/scim/core/schemas.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import { applyPatch, parsePatchRequest } from '../../src/scim/patch/index.js'
import { errorOf } from '../helpers/scim-error.js'

const ID = '6c2ee6a4-4bd9-4f3c-9a2b-6f1f5b7d9e01'
const ENT = URN.enterpriseUser

/** A user provisioned with a personal email only, as Entra ID often creates them. */
function pat(): Record<string, unknown> {
  return renderUser(
    {
      id: ID,
      version: 1,
      created: new Date('2024-03-01T09:00:00Z'),
      lastModified: new Date('2024-03-01T09:00:00Z'),
      doc: {
        externalId: '0a1b2c3d',
        userName: 'pat@contoso.example',
        name: { givenName: 'Pat', familyName: 'Doe' },
        active: true,
        emails: [{ value: 'pat@personal.example', type: 'home', primary: true }],
        [ENT]: { department: 'Finance', manager: { value: 'boss-1', displayName: 'Bo Boss' } },
      },
    },
    `https://scim.example.test/scim/v2/ep/Users/${ID}`,
  )
}

function patch(resource: Record<string, unknown>, ...operations: unknown[]): Record<string, unknown> {
  const result = applyPatch(resource, parsePatchRequest({ schemas: [URN.patchOp], Operations: operations }), userView)
  normalizeResource(result, userView)
  return result
}

const enterprise = (resource: Record<string, unknown>) => resource[ENT] as Record<string, unknown> | undefined

t.test('Entra string booleans', async (t) => {
  const result = patch(pat(), { op: 'Replace', path: 'active', value: 'False' })
  t.equal(result.active, 'False', 'kept as sent')
  t.equal(normalizeResource(result, userView).active, false, 'normalizeResource converts it')
  const repeated = patch(pat(), { op: 'Add', path: 'emails', value: [{ value: 'pat@personal.example', type: 'home', primary: 'True' }] })
  t.equal((repeated.emails as unknown[]).length, 1, '"True" and true are the same value for duplicate detection')
  const address = { streetAddress: '1 Main St', type: 'work', primary: true }
  const withAddress = patch(
    pat(),
    { op: 'add', path: 'addresses', value: [address] },
    { op: 'Add', path: 'addresses', value: [{ ...address, primary: 'True' }] },
  )
  t.equal((withAddress.addresses as unknown[]).length, 1, 'also when every sub-attribute is compared')
  const promoted = patch(pat(), { op: 'Add', path: 'emails', value: [{ value: 'pat@contoso.example', type: 'work', primary: 'True' }] })
  t.strictSame(
    (promoted.emails as Record<string, unknown>[]).map((e) => e.primary),
    [false, 'True'],
    'a "True" primary demotes the previous one',
  )
  t.doesNotThrow(() => normalizeResource(promoted, userView))
})

t.test('Entra creates the work email', async (t) => {
  // Entra ID sends add or replace on the work email's value to users that have none.
  for (const op of ['Add', 'Replace']) {
    const result = patch(pat(), { op, path: 'emails[type eq "work"].value', value: 'pat@contoso.example' })
    t.strictSame(
      result.emails,
      [
        { value: 'pat@personal.example', type: 'home', primary: true },
        { type: 'work', value: 'pat@contoso.example' },
      ],
      op,
    )
    const again = patch(result, { op, path: 'emails[type eq "work"].value', value: 'pat.doe@contoso.example' })
    t.strictSame((again.emails as unknown[])[1], { type: 'work', value: 'pat.doe@contoso.example' }, `${op} updates it the next time`)
  }
  const phone = patch(pat(), { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' })
  t.strictSame(phone.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }])
  const removed = patch(phone, { op: 'Remove', path: 'phoneNumbers[type eq "mobile"].value' })
  t.notOk('phoneNumbers' in removed, 'removing the value removes the entry')
})

t.test('Entra manager as a bare string', async (t) => {
  let result = patch(pat(), { op: 'Replace', path: `${ENT}:manager`, value: 'boss-2' })
  t.strictSame(
    enterprise(result)?.manager,
    { value: 'boss-2', displayName: 'Bo Boss' },
    'merged; normalizeResource drops the readOnly displayName',
  )
  t.strictSame(normalizeResource(result, userView)[ENT], { department: 'Finance', manager: { value: 'boss-2' } })
  result = patch(pat(), { op: 'remove', path: ENT }, { op: 'Add', path: `${ENT}:manager`, value: 'boss-3' })
  t.strictSame(result[ENT], { manager: { value: 'boss-3' } })
  t.strictSame(result.schemas, [URN.user, ENT])
  result = patch(pat(), { op: 'Replace', value: { [`${ENT}:manager`]: 'boss-4' } })
  t.strictSame(enterprise(result)?.manager, { value: 'boss-4', displayName: 'Bo Boss' })
})

t.test('Entra manager removal', async (t) => {
  const requests: unknown[] = [
    { op: 'Replace', path: `${ENT}:manager`, value: '' },
    { op: 'Replace', path: `${ENT}:manager`, value: null },
    { op: 'Replace', path: `${ENT}:manager.value`, value: '' },
    { op: 'Replace', path: `${ENT}:manager.value`, value: null },
    { op: 'Replace', path: `${ENT}:manager`, value: { value: '' } },
    { op: 'Remove', path: `${ENT}:manager` },
    { op: 'Remove', path: `${ENT}:manager.value` },
    { op: 'Replace', value: { [ENT]: { manager: '' } } },
  ]
  for (const request of requests) {
    const result = patch(pat(), request)
    t.strictSame(result[ENT], { department: 'Finance' }, JSON.stringify(request))
  }
  const last = patch(pat(), { op: 'Remove', path: `${ENT}:department` }, { op: 'Remove', path: `${ENT}:manager` })
  t.notOk(ENT in last, 'an extension left empty is dropped')
  t.strictSame(last.schemas, [URN.user])
})

t.test('Entra JSON-encoded complex value', async (t) => {
  const result = patch(pat(), { op: 'Replace', path: 'name', value: '{"givenName":"Patricia","formatted":"Patricia Doe"}' })
  t.strictSame(result.name, { givenName: 'Patricia', familyName: 'Doe', formatted: 'Patricia Doe' })
  const manager = patch(pat(), { op: 'Replace', path: `${ENT}:manager`, value: '{"value":"boss-9"}' })
  t.strictSame(enterprise(manager)?.manager, { value: 'boss-9', displayName: 'Bo Boss' })
  const displayName = patch(pat(), { op: 'Replace', path: 'displayName', value: '{"not":"decoded"}' })
  t.equal(displayName.displayName, '{"not":"decoded"}', 'only complex attributes decode')
  const list = errorOf(() => patch(pat(), { op: 'Replace', path: 'name', value: '["Pat"]' }))
  t.equal(list.scimType, 'invalidValue', 'a string that is not an object stays a string, and a string is no name')
  t.match(list.detail, /^Operation 1 \(replace name\): name is a complex attribute/)
})

t.test('Entra no-path keys', async (t) => {
  const result = patch(pat(), {
    op: 'Add',
    value: {
      'name.givenName': 'Patty',
      'emails[type eq "work"].value': 'pat@contoso.example',
      [`${ENT}:department`]: 'Treasury',
      title: 'Analyst',
    },
  })
  t.equal((result.name as Record<string, unknown>).givenName, 'Patty')
  t.strictSame((result.emails as unknown[])[1], { type: 'work', value: 'pat@contoso.example' })
  t.equal(enterprise(result)?.department, 'Treasury')
  t.equal(result.title, 'Analyst')
  const broken = errorOf(() => patch(pat(), { op: 'Add', value: { 'emails[type eq "work".value': 'x' } }))
  t.equal(broken.scimType, 'invalidPath', 'a malformed value-path key is a path error, not an unknown attribute')
  t.match(broken.detail, /^Operation 1 \(add without path, attribute "emails\[type eq "work"\.value"\): Invalid path/)
})

t.test('Entra removes one member with a value list', async (t) => {
  // Users have no members; a minimal Group view replays the request exactly.
  const groupView: ResourceSchemaView = {
    core: {
      id: URN.group,
      name: 'Group',
      description: 'Group',
      attributes: [
        attribute('displayName', 'string', 'Name', { required: true }),
        attribute('members', 'complex', 'Members', {
          multiValued: true,
          subAttributes: [
            attribute('value', 'string', 'Member id', { caseExact: true }),
            attribute('display', 'string', 'Member name'),
            attribute('type', 'string', 'User or Group'),
          ],
        }),
      ],
    },
    extensions: [],
    common: commonAttributes,
  }
  const group = { schemas: [URN.group], id: 'g1', displayName: 'Staff', members: [{ value: 'id1' }, { value: 'id2' }, { value: 'id3' }] }
  const operations = parsePatchRequest({
    schemas: [URN.patchOp],
    Operations: [{ op: 'Remove', path: 'members', value: [{ value: 'id1' }, { value: 'ID3' }] }],
  })
  t.strictSame(applyPatch(group, operations, groupView).members, [{ value: 'id2' }, { value: 'id3' }], 'caseExact values match exactly')
  const add = parsePatchRequest({
    schemas: [URN.patchOp],
    Operations: [{ op: 'Add', path: 'members', value: [{ value: 'id2' }, { value: 'id4' }] }],
  })
  t.strictSame(applyPatch(group, add, groupView).members, [{ value: 'id1' }, { value: 'id2' }, { value: 'id3' }, { value: 'id4' }])
})

t.test('SCIM 1.1 URN prefixes', async (t) => {
  // Ping and older SCIM 1.1 clients.
  const result = patch(
    pat(),
    { op: 'replace', path: 'urn:scim:schemas:core:1.0:displayName', value: 'Pat D.' },
    { op: 'replace', path: 'urn:scim:schemas:extension:enterprise:1.0:department', value: 'Audit' },
    { op: 'replace', value: { 'urn:scim:schemas:core:1.0:title': 'Auditor' } },
  )
  t.equal(result.displayName, 'Pat D.')
  t.equal(enterprise(result)?.department, 'Audit')
  t.equal(result.title, 'Auditor')
})

t.test('Okta no-path deactivation echoing the resource', async (t) => {
  const user = pat()
  const result = patch(user, { op: 'replace', value: { id: ID, active: false } })
  t.equal(result.active, false)
  t.strictSame(result.meta, user.meta)
})

t.test('JumpCloud repeats adds', async (t) => {
  const add = { op: 'add', path: 'emails', value: [{ value: 'pat@contoso.example', type: 'work', primary: false }] }
  const once = patch(pat(), add)
  t.strictSame(patch(once, add), once)
  t.strictSame(patch(pat(), add, add, add), once)
})

t.test('OneLogin and Entra misspelled attributes are ignored', async (t) => {
  const result = patch(
    pat(),
    { op: 'replace', path: 'emailAddress', value: 'x' },
    { op: 'replace', value: { 'name.givenname': 'Pat', fullName: 'Pat Doe', [`${ENT}:departmnet`]: 'x' } },
  )
  t.strictSame(result, pat())
})
