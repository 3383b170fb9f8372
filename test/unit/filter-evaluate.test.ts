import { t } from '../helpers/file-test.js'
import { attribute } from '../../src/scim/core/attribute.js'
import { URN, commonAttributes, enterpriseUserSchema, userSchema } from '../../src/scim/core/schemas.js'
import { matchesFilter, matchesValueFilter, type ResourceSchemaView } from '../../src/scim/filter/evaluate.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'

/** The User schema plus a number, to cover numeric comparisons (none of the RFC User attributes is one). */
const schema: ResourceSchemaView = {
  core: {
    ...userSchema,
    attributes: [
      ...userSchema.attributes,
      attribute('loginCount', 'integer', 'Number of sign-ins.'),
      attribute('score', 'decimal', 'A decimal.'),
    ],
  },
  extensions: [enterpriseUserSchema],
  common: commonAttributes,
}

const alice = {
  schemas: [URN.user, URN.enterpriseUser],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'AbC-1',
  userName: 'Alice@Example.com',
  name: { givenName: 'Alice', familyName: 'Liddell' },
  displayName: 'alíce',
  title: '',
  active: true,
  loginCount: 1,
  score: 2.5,
  emails: [
    { value: 'alice@work.example', type: 'work', primary: true },
    { value: 'alice@home.example', type: 'home' },
  ],
  phoneNumbers: [],
  ims: [{}],
  meta: {
    resourceType: 'User',
    created: '2024-01-01T10:00:00Z',
    lastModified: '2024-06-01T10:00:00.000Z',
    version: 'W/"3"',
  },
  [URN.enterpriseUser]: { employeeNumber: '701984', manager: { value: 'Boss-1', displayName: 'Bob' } },
}

const matches = (filter: string, resource: Record<string, unknown> = alice): boolean => matchesFilter(resource, parseFilter(filter), schema)

function rejects(t: Pick<typeof import('tap').default, 'equal' | 'match'>, filter: string, fragment: string): void {
  let error: unknown
  try {
    matches(filter)
  } catch (caught) {
    error = caught
  }
  t.equal(error instanceof ScimError, true, filter)
  if (!(error instanceof ScimError)) return
  t.equal(error.status, 400, filter)
  t.equal(error.scimType, 'invalidFilter', filter)
  t.match(error.detail, fragment, filter)
}

t.test('caseExact decides string comparison; no locale or accent folding', async (t) => {
  t.ok(matches('userName eq "alice@example.COM"'), 'userName is caseExact false')
  t.ok(matches('USERNAME Eq "alice@example.com"'), 'attribute names are case-insensitive')
  t.ok(matches('externalId eq "AbC-1"'))
  t.notOk(matches('externalId eq "abc-1"'), 'externalId is caseExact')
  t.notOk(matches('id eq "2819C223-7F76-453A-919D-413861904646"'), 'id is caseExact')
  t.ok(matches('id eq "2819c223-7f76-453a-919d-413861904646"'))
  t.notOk(matches('displayName eq "ALÍCE"'), 'only ASCII letters fold (scim/core/case-fold.ts), as lower() under the C collation does')
  t.ok(matches('displayName eq "ALíCE"'), 'ASCII letters around a non-ASCII one fold')
  t.notOk(matches('displayName eq "alice"'), 'accents are not folded')
  t.notOk(matches('displayName co "lic"'))
  t.ok(matches(`${URN.enterpriseUser}:manager.value eq "Boss-1"`))
  t.notOk(matches(`${URN.enterpriseUser}:manager.value eq "boss-1"`), 'manager.value is caseExact')
})

t.test('string operators', async (t) => {
  t.ok(matches('userName co "@EXAMPLE"'))
  t.ok(matches('userName sw "alice@"'))
  t.notOk(matches('userName sw "example"'))
  t.ok(matches('userName ew ".Com"'))
  t.ok(matches('userName ne "bob"'))
  t.notOk(matches('userName ne "ALICE@example.com"'))
  t.ok(matches('userName gt "alice"'), 'lexicographic, after lowercasing')
  t.ok(matches('userName ge "alice@example.com"'))
  t.ok(matches('userName lt "b"'))
  t.notOk(matches('userName le "alice"'))
  t.ok(matches('externalId gt "ABC"'), 'caseExact: code units, and "b" > "B"')
  t.notOk(matches('externalId gt "abc"'))
  t.ok(matches('userName co ""'), 'every string contains the empty string')
})

t.test('numbers, booleans and dateTimes', async (t) => {
  t.ok(matches('loginCount eq 1'))
  t.ok(matches('loginCount lt 1.5 and loginCount ge 1 and loginCount le 1 and loginCount gt 0.5'))
  t.ok(matches('score gt 2.25e0 and score ne 3'))
  t.ok(matches('active eq true'))
  t.ok(matches('active ne false'))
  t.ok(matches('active eq True'), 'True is read as the literal')
  t.ok(matches('meta.created eq "2024-01-01T11:00:00+01:00"'), 'same instant, other offset')
  t.ok(matches('meta.created eq "2024-01-01T10:00:00.000Z"'))
  t.ok(matches('meta.lastModified gt "2024-05-31T23:59:59.999Z"'))
  t.notOk(matches('meta.lastModified lt "2024-06-01T10:00:00Z"'))
  t.ok(matches('meta.lastModified le "2024-06-01T10:00:00Z"'))
  t.ok(matches('meta.lastModified ge "2024-06-01t10:00:00z"'))
})

t.test('a and b and c needs all three (a third-party evaluator got this wrong)', async (t) => {
  const filter = 'active eq true and loginCount gt 5 and title eq "Mgr"'
  t.notOk(matches(filter), 'loginCount is 1')
  t.ok(matches(filter, { ...alice, loginCount: 9, title: 'mgr' }))
})

t.test('and, or, not', async (t) => {
  t.ok(matches('userName eq "x" or active eq true'))
  t.notOk(matches('userName eq "x" and active eq true'))
  t.ok(matches('not (userName eq "x")'))
  t.notOk(matches('not (active eq true)'))
  t.ok(matches('active eq false or loginCount eq 1 and not (title pr)'))
})

t.test('missing attributes, ne, null and pr', async (t) => {
  t.notOk(matches('nickName eq "x"'), 'comparisons on an absent attribute are false')
  t.notOk(matches('nickName co ""'))
  t.notOk(matches('nickName lt "zzz"'))
  t.ok(matches('nickName ne "x"'), 'ne is true when absent')
  t.ok(matches('nickName eq null'))
  t.notOk(matches('nickName ne null'))
  t.notOk(matches('nickName pr'))
  t.ok(matches('userName ne null') && matches('userName pr'))
  t.notOk(matches('title pr'), 'an empty string is not present')
  t.ok(matches('title eq null'))
  t.ok(matches('title eq ""'), 'but it still compares as a string')
  t.notOk(matches('phoneNumbers pr'), 'an empty array is not present')
  t.notOk(matches('ims pr'), 'nor an array of empty objects')
  t.ok(matches('emails pr') && matches('name pr') && matches('meta pr'))
  t.notOk(matches('name.middleName pr'))
  t.ok(matches('name.givenName pr'))
  t.notOk(matches('name pr', { ...alice, name: { givenName: null, familyName: '' } }))
  t.ok(matches(`${URN.enterpriseUser}:manager pr`))
  t.notOk(matches(`${URN.enterpriseUser}:department pr`))
  t.notOk(matches(`${URN.enterpriseUser}:employeeNumber pr`, { ...alice, [URN.enterpriseUser]: undefined }))
  t.ok(matches('emails.display eq null'), 'no email has a display')
  t.notOk(matches('meta.created eq "2024-01-01T10:00:00Z"', { ...alice, meta: { created: 'not a date' } }))
})

t.test('multi-valued: any element matches; ne means no element equals', async (t) => {
  t.ok(matches('emails.value eq "alice@home.example"'))
  t.ok(matches('emails.type eq "work"'))
  t.ok(matches('emails.value ew "@WORK.example"'))
  t.notOk(matches('emails.value eq "bob@work.example"'))
  t.ok(matches('emails.value ne "bob@work.example"'))
  t.notOk(matches('emails.value ne "alice@home.example"'), 'one element equals')
  t.ok(matches('emails eq "alice@work.example"'), 'no sub-attribute compares value')
  t.ok(matches('emails co "home"'))
  t.notOk(matches('emails ne "alice@work.example"'))
  t.ok(matches('emails.primary eq true'))
  t.ok(matches('emails.primary ne false'), 'no element has primary false (the second omits it)')
  t.ok(matches('phoneNumbers.value ne "x"'), 'ne on an empty list is true')
})

t.test('value paths: the same element must satisfy the whole filter', async (t) => {
  t.ok(matches('emails[type eq "work" and value co "@work"]'))
  t.notOk(matches('emails[type eq "work" and value co "@home"]'), 'each part matches a different element')
  t.ok(matches('emails.type eq "work" and emails.value co "@home"'), 'without brackets any element may match each part')
  t.ok(matches('emails[type eq "home" and not (primary eq true)]'))
  t.ok(matches('emails[TYPE eq "WORK"]'), 'sub-attribute names and non-caseExact values ignore case')
  t.notOk(matches('phoneNumbers[type pr]'))
  t.ok(matches('not (phoneNumbers[type pr]) and emails[primary eq true]'))
  t.ok(matches(`${URN.user}:emails[type eq "home"]`))
  t.ok(matches(`${URN.enterpriseUser}:manager[value eq "Boss-1" and displayName eq "bob"]`), 'a single complex value is one element')
})

t.test('resource keys are matched case-insensitively', async (t) => {
  const shouty = {
    USERNAME: 'Bob',
    Emails: [{ VALUE: 'b@x.example', Type: 'work' }],
    [URN.enterpriseUser.toLowerCase()]: { EmployeeNumber: '42' },
  }
  t.ok(matches('userName eq "bob"', shouty))
  t.ok(matches('emails[type eq "work" and value eq "b@x.example"]', shouty))
  t.ok(matches(`${URN.enterpriseUser}:employeeNumber eq "42"`, shouty))
  t.ok(matches('urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER eq "42"', shouty))
})

t.test('schema errors are 400 invalidFilter, whatever the data', async (t) => {
  rejects(t, 'nickname2 eq "x"', 'Unknown attribute "nickname2" in filter')
  rejects(t, 'name.nope eq "x"', 'Unknown attribute "name.nope" in filter')
  rejects(t, 'userName.x eq "x"', 'Unknown attribute "userName.x" in filter')
  rejects(t, 'employeeNumber eq "701984"', 'Unknown attribute "employeeNumber" in filter')
  rejects(t, 'urn:example:other:1.0:User:employeeNumber eq "1"', 'Unknown attribute "urn:example:other:1.0:User:employeeNumber"')
  rejects(t, 'emails[nope eq "x"]', 'Unknown attribute "emails.nope" in filter')
  rejects(t, 'active eq true or nope pr', 'Unknown attribute "nope"')
  rejects(t, 'active co true', 'operator "co" is not supported for boolean attribute "active"')
  rejects(t, 'active gt false', 'operator "gt" is not supported for boolean attribute "active"')
  rejects(t, 'active eq "yes"', '"active" is a boolean attribute and needs true or false, found "yes"')
  rejects(t, 'userName eq 5', '"userName" is a string attribute and needs a quoted string, found 5')
  rejects(t, 'userName eq true', 'needs a quoted string')
  rejects(t, 'loginCount eq "5"', '"loginCount" is an integer attribute and needs a number')
  rejects(t, 'loginCount sw 1', 'operator "sw" is not supported for integer attribute "loginCount"')
  rejects(t, 'meta.created co "2024"', 'operator "co" is not supported for dateTime attribute "meta.created"')
  rejects(t, 'meta.created gt 5', 'needs a quoted date-time')
  rejects(t, 'meta.created gt "yesterday"', '"yesterday" is not a valid dateTime for "meta.created"')
  rejects(t, 'meta.created gt "2024-01-01T10:00:00"', 'with a time zone')
  rejects(t, 'meta.created gt "2024-02-30T10:00:00Z"', 'not a valid dateTime')
  rejects(t, 'x509Certificates.value gt "AAA="', 'operator "gt" is not supported for binary attribute "x509Certificates.value"')
  rejects(t, 'name eq "Alice"', '"name" is a complex attribute: compare one of its sub-attributes (e.g. name.formatted)')
  rejects(t, `${URN.enterpriseUser}:manager eq "Boss-1"`, 'is a complex attribute')
  rejects(t, 'userName gt null', 'operator "gt" cannot take null')
  rejects(t, 'emails[type[value pr]]', 'Invalid filter') // the parser refuses it first
})

t.test('evaluator errors for syntax trees the parser would not build', async (t) => {
  const check = (run: () => unknown, fragment: string): void => {
    t.throws(run)
    try {
      run()
    } catch (error) {
      t.equal((error as ScimError).scimType, 'invalidFilter')
      t.match((error as ScimError).detail, fragment)
    }
  }
  const inner = { kind: 'present', path: { attr: 'type' } } as const
  check(
    () =>
      matchesFilter(
        alice,
        { kind: 'valuePath', path: { attr: 'emails' }, filter: { kind: 'valuePath', path: { attr: 'type' }, filter: inner } },
        schema,
      ),
    'cannot contain another "[...]"',
  )
  check(
    () => matchesFilter(alice, { kind: 'valuePath', path: { attr: 'userName' }, filter: inner }, schema),
    '"[...]" needs a complex attribute',
  )
  check(
    () => matchesFilter(alice, { kind: 'valuePath', path: { attr: 'emails', subAttr: 'value' }, filter: inner }, schema),
    'needs a complex',
  )
  check(
    () =>
      matchesFilter(
        alice,
        { kind: 'valuePath', path: { attr: 'emails' }, filter: { kind: 'present', path: { attr: 'emails', subAttr: 'type' } } },
        schema,
      ),
    'name a sub-attribute of "emails" alone',
  )
})

t.test('matchesValueFilter evaluates a bracket filter against one element (PATCH)', async (t) => {
  const emails = userSchema.attributes.find((a) => a.name === 'emails')!
  const filter = parseFilter('type eq "WORK" and value ew "@work.example"')
  t.ok(matchesValueFilter(alice.emails[0], filter, emails))
  t.notOk(matchesValueFilter(alice.emails[1], filter, emails))
  t.notOk(matchesValueFilter('alice@work.example', filter, emails), 'a non-object element never matches')
  t.notOk(matchesValueFilter(null, filter, emails))
  t.ok(matchesValueFilter({ value: 'x' }, parseFilter('type eq null and primary ne true'), emails))
  t.throws(() => matchesValueFilter({}, parseFilter('nope pr'), emails), { message: 'Unknown attribute "emails.nope" in filter' })
  const userName = userSchema.attributes.find((a) => a.name === 'userName')!
  t.throws(() => matchesValueFilter({}, parseFilter('value pr'), userName), { message: /not a complex attribute/ })
})
