import { t } from '../helpers/file-test.js'
import { groupView } from '../../src/scim/core/group-resource.js'
import { compileProjection, projectionFor, projectionNames, type ProjectionRequest } from '../../src/scim/core/projection.js'
import { MAX_PROJECTION_FILTER_COMPARISONS, MAX_PROJECTION_NAME_LENGTH, MAX_PROJECTION_NAMES } from '../../src/scim/limits.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'
import { errorOf } from '../helpers/scim-error.js'

const project = (resource: Record<string, unknown>, request: ProjectionRequest, view: typeof userView) =>
  compileProjection(request, view).apply(resource)

const user = renderUser(
  {
    id: '11111111-1111-4111-8111-111111111111',
    doc: {
      userName: 'ada@x.io',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [
        { value: 'ada@work.io', type: 'work', primary: true },
        { value: 'ada@home.io', type: 'home' },
        { value: 'a,b@work.io', type: 'work' },
      ],
    },
    version: 1,
    created: new Date('2026-01-01T00:00:00Z'),
    lastModified: new Date('2026-01-01T00:00:00Z'),
  },
  'http://x/Users/1',
)

t.test('attributes with a value filter return only the matching values (RFC 7644 §3.10)', async (t) => {
  const work = project(user, { attributes: 'emails[type eq "work"]' }, userView)
  t.same(work.emails, [
    { value: 'ada@work.io', type: 'work', primary: true },
    { value: 'a,b@work.io', type: 'work' },
  ])
  t.same(Object.keys(work).sort(), ['emails', 'id', 'meta', 'schemas'])
  const oneValue = project(user, { attributes: 'userName,emails[value eq "a,b@work.io"].value' }, userView)
  t.same(oneValue.emails, [{ value: 'a,b@work.io' }], 'a comma inside quotes is not a separator')
  t.equal(oneValue.userName, 'ada@x.io')
  t.notOk('emails' in project(user, { attributes: 'emails[type eq "other"]' }, userView), 'no match, no attribute')
})

t.test('excludedAttributes with a value filter drops only the matching values', async (t) => {
  const noHome = project(user, { excludedAttributes: 'emails[type eq "home"]' }, userView)
  t.same(
    (noHome.emails as { type: string }[]).map((e) => e.type),
    ['work', 'work'],
  )
  const noWorkValues = project(user, { excludedAttributes: 'emails[type eq "work"].value' }, userView)
  t.same(noWorkValues.emails, [{ type: 'work', primary: true }, { value: 'ada@home.io', type: 'home' }, { type: 'work' }])
  t.equal((user.emails as unknown[]).length, 3, 'the input is not changed')
})

t.test('a bad value filter in a projection is 400 invalidPath or invalidFilter', async (t) => {
  for (const attributes of ['emails[shoe eq "x"]', 'emails[type eq', 'userName[type eq "x"]']) {
    const error = t.throws(() => compileProjection({ attributes }, userView)) as ScimError
    t.type(error, ScimError, attributes)
    t.equal(error.status, 400)
  }
})

t.test('a list holds at most MAX_PROJECTION_NAMES names of at most MAX_PROJECTION_NAME_LENGTH characters (400 tooMany)', async (t) => {
  t.equal(MAX_PROJECTION_NAMES, 200)
  const names = (n: number) => Array.from({ length: n }, () => 'userName').join(',')
  for (const field of ['attributes', 'excludedAttributes'] as const) {
    t.doesNotThrow(() => compileProjection({ [field]: names(MAX_PROJECTION_NAMES) }, userView), `${field}: exactly the limit`)
    t.doesNotThrow(
      () => compileProjection({ [field]: `,${names(MAX_PROJECTION_NAMES)},, ,` }, userView),
      `${field}: blank items do not count`,
    )
    const error = errorOf(() => compileProjection({ [field]: names(MAX_PROJECTION_NAMES + 1) }, userView))
    t.same([error.status, error.scimType], [400, 'tooMany'])
    t.match(error.detail, `${field} names more than ${MAX_PROJECTION_NAMES} attributes`)
  }
  const padded = `emails[value eq "${'a'.repeat(MAX_PROJECTION_NAME_LENGTH - 19)}"]`
  t.equal(padded.length, MAX_PROJECTION_NAME_LENGTH)
  t.doesNotThrow(() => compileProjection({ attributes: padded }, userView), 'a name of exactly the limit')
  const long = errorOf(() =>
    compileProjection({ excludedAttributes: `emails[value eq "${'a'.repeat(MAX_PROJECTION_NAME_LENGTH - 18)}"]` }, userView),
  )
  t.same([long.status, long.scimType], [400, 'tooMany'])
  t.match(long.detail, `longer than ${MAX_PROJECTION_NAME_LENGTH} characters`)
  t.same(projectionNames({ attributes: 'userName, emails[value eq "a,b"]', excludedAttributes: ' ' }), {
    attributes: ['userName', 'emails[value eq "a,b"]'],
    excludedAttributes: [],
  })
  const huge = errorOf(() => projectionNames({ attributes: 'id,'.repeat(200_000) }))
  t.equal(huge.scimType, 'tooMany', 'a list of 200,000 names is refused, not resolved')
})

t.test('a compiled projection is resolved once: errors come from compiling, applying never throws', async (t) => {
  const projection = compileProjection({ attributes: 'userName,emails[type eq "work"].value' }, userView)
  for (let i = 0; i < 3; i++)
    t.same(projection.apply(user), {
      schemas: user.schemas,
      id: user.id,
      userName: 'ada@x.io',
      emails: [{ value: 'ada@work.io' }, { value: 'a,b@work.io' }],
      meta: { resourceType: 'User' },
    })
  const none = compileProjection({}, userView)
  t.equal(none.apply(user), user, 'no lists: the resource as rendered')
  t.equal(errorOf(() => compileProjection({ excludedAttributes: 'shoeSize' }, userView)).scimType, 'invalidPath')
})

t.test('shows: what the response holds, so routes read groups and members only when shown', async (t) => {
  t.notOk(compileProjection({}, userView).shows('groups'), 'groups is returned on request only')
  t.ok(compileProjection({ attributes: 'groups.display' }, userView).shows('groups'))
  t.ok(compileProjection({ attributes: 'urn:ietf:params:scim:schemas:core:2.0:User:GROUPS' }, userView).shows('groups'))
  t.notOk(compileProjection({ attributes: 'userName' }, userView).shows('groups'))
  t.ok(compileProjection({}, groupView).shows('members'))
  t.notOk(compileProjection({ excludedAttributes: 'members' }, groupView).shows('members'))
  t.ok(compileProjection({ excludedAttributes: 'members.display' }, groupView).shows('members'), 'only a sub-attribute is dropped')
  t.ok(compileProjection({ attributes: 'members[value eq "x"]' }, groupView).shows('members'))
  t.notOk(compileProjection({ attributes: 'displayName' }, groupView).shows('members'))
  t.ok(compileProjection({ attributes: 'displayName' }, groupView).selective)
  t.notOk(compileProjection({ excludedAttributes: 'displayName' }, groupView).selective)
})

t.test('projectionFor keeps the names a type has, for a search across types', async (t) => {
  const names = projectionNames({ attributes: 'userName,members,displayName' })
  const users = projectionFor(names, userView)
  t.same([...users.known].sort(), ['displayName', 'userName'])
  t.same(Object.keys(users.projection.apply(user)).sort(), ['id', 'meta', 'schemas', 'userName'])
  t.same([...projectionFor(names, groupView).known].sort(), ['displayName', 'members'])
})

t.test('value filters hold at most MAX_PROJECTION_FILTER_COMPARISONS comparisons across both lists (400 tooMany)', async (t) => {
  t.equal(MAX_PROJECTION_FILTER_COMPARISONS, 20)
  const chain = (n: number) => `emails[${Array.from({ length: n }, (_, i) => `value eq "${i}"`).join(' or ')}]`
  t.doesNotThrow(
    () => compileProjection({ attributes: chain(10), excludedAttributes: `${chain(5)},${chain(5)}` }, userView),
    'exactly the limit',
  )
  for (const request of [
    { attributes: chain(21) },
    { attributes: chain(10), excludedAttributes: chain(11) },
    { excludedAttributes: Array.from({ length: 21 }, () => 'emails[type eq "work"]').join(',') },
  ]) {
    const error = errorOf(() => compileProjection(request, userView))
    t.same([error.status, error.scimType], [400, 'tooMany'], JSON.stringify(request).slice(0, 80))
    t.match(error.detail, `more than ${MAX_PROJECTION_FILTER_COMPARISONS} comparisons`)
  }
  const across = errorOf(() => projectionFor(projectionNames({ attributes: chain(21) }), userView))
  t.equal(across.scimType, 'tooMany', 'a search across types refuses it too, instead of calling the name unknown')
})

t.test('a name given twice is applied once, with the same result', async (t) => {
  const once = compileProjection({ attributes: 'userName,emails[type eq "work"].value' }, userView).apply(user)
  const twice = compileProjection(
    {
      attributes:
        'userName,USERNAME,urn:ietf:params:scim:schemas:core:2.0:User:userName,emails[type eq "work"].value,emails[TYPE eq "work"].value',
    },
    userView,
  ).apply(user)
  t.same(twice, once)
  const excluded = compileProjection(
    { excludedAttributes: 'emails[type eq "home"],emails[type eq "home"],name.givenName,name.givenName' },
    userView,
  ).apply(user)
  t.same(
    (excluded.emails as { type: string }[]).map((e) => e.type),
    ['work', 'work'],
  )
  t.same(excluded.name, { familyName: 'Lovelace' })
})
