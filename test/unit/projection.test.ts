import t from 'tap'
import { project } from '../../src/scim/core/projection.js'
import { renderUser, userView } from '../../src/scim/core/user-resource.js'
import { ScimError } from '../../src/scim/protocol/scim-error.js'

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
  t.same((noHome.emails as { type: string }[]).map((e) => e.type), ['work', 'work'])
  const noWorkValues = project(user, { excludedAttributes: 'emails[type eq "work"].value' }, userView)
  t.same(noWorkValues.emails, [{ type: 'work', primary: true }, { value: 'ada@home.io', type: 'home' }, { type: 'work' }])
  t.equal((user.emails as unknown[]).length, 3, 'the input is not changed')
})

t.test('a bad value filter in a projection is 400 invalidPath or invalidFilter', async (t) => {
  for (const attributes of ['emails[shoe eq "x"]', 'emails[type eq', 'userName[type eq "x"]']) {
    const error = t.throws(() => project(user, { attributes }, userView)) as ScimError
    t.type(error, ScimError, attributes)
    t.equal(error.status, 400)
  }
})
