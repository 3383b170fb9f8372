import { t } from '../helpers/file-test.js'
import { resolveCursorKey } from '../../src/auth/cursor-key.js'
import { decodeCursor, encodeCursor } from '../../src/scim/protocol/cursor.js'
import { testDatabases } from '../helpers/databases.js'
import { errorOf } from '../helpers/scim-error.js'

const KEY = 'unit-cursor-key-0123456789abcdefghijklmnop'
const ID = '0b6b3f9e-4c1a-4f7e-9a55-2f1d3c4b5a69'
const QUERY = 'urn:ietf:params:scim:schemas:core:2.0:User|userName sw "a"'

t.test('a cursor is HMAC-signed over its id and its query (RFC 9865)', async (t) => {
  const cursor = encodeCursor(ID, QUERY, KEY)
  t.match(cursor, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'opaque, URL-safe')
  t.equal(decodeCursor(cursor, QUERY, KEY), ID)
  t.equal(decodeCursor(cursor, QUERY, Buffer.from(KEY)), ID, 'a Buffer key is the same key')
  const refused = (what: string, run: () => unknown) => {
    const error = errorOf(run)
    t.same([error.status, error.scimType], [400, 'invalidCursor'], what)
  }
  refused('another query', () => decodeCursor(cursor, `${QUERY} `, KEY))
  refused('another key', () => decodeCursor(cursor, QUERY, `${KEY}x`))
  refused('signed with another key', () => decodeCursor(encodeCursor(ID, QUERY, 'another-key-0123456789abcdefghijklmnopq'), QUERY, KEY))
  const [payload, signature] = cursor.split('.') as [string, string]
  const other = Buffer.from(JSON.stringify({ a: ID.replace('0b6b', '1b6b') })).toString('base64url')
  refused('an altered id', () => decodeCursor(`${other}.${signature}`, QUERY, KEY))
  for (let at = 0; at < signature.length; at += 7) {
    const flipped = signature.slice(0, at) + (signature[at] === 'A' ? 'B' : 'A') + signature.slice(at + 1)
    refused(`signature altered at ${at}`, () => decodeCursor(`${payload}.${flipped}`, QUERY, KEY))
  }
  refused('a signature of another length', () => decodeCursor(`${payload}.${signature}A`, QUERY, KEY))
  refused('36 dashes', () => decodeCursor('-'.repeat(36), QUERY, KEY))
  refused('garbage', () => decodeCursor('not a cursor at all', QUERY, KEY))
  refused('empty parts', () => decodeCursor('.', QUERY, KEY))
  refused('huge', () => decodeCursor(`${payload}${'A'.repeat(1_000_000)}.${signature}`, QUERY, KEY))
})

t.test('even a correctly signed cursor must name a UUID before its id reaches SQL', async (t) => {
  for (const id of ['-'.repeat(36), `${ID}x`, ID.toUpperCase().replace(/-/g, ''), "'; drop table scim_users; --"]) {
    const error = errorOf(() => decodeCursor(encodeCursor(id, QUERY, KEY), QUERY, KEY))
    t.equal(error.scimType, 'invalidCursor', id)
  }
})

t.test('the cursor key: CURSOR_SECRET, else generated once and shared through the database', async (t) => {
  for (const db of await testDatabases(t)) {
    await db.reset()
    t.same(
      await resolveCursorKey('a-configured-cursor-secret-0123456789abc', db.store.settings),
      Buffer.from('a-configured-cursor-secret-0123456789abc'),
      `${db.name}: configured`,
    )
    t.same(await db.rows('select key from service_settings'), [], 'a configured key is not stored')
    // Replicas starting together: one key wins, and each of them uses it.
    let n = 0
    const keys = await Promise.all(
      Array.from({ length: 4 }, () => resolveCursorKey(undefined, db.store.settings, (size) => Buffer.alloc(size, ++n))),
    )
    t.equal(keys[0]!.length, 32, '32 random bytes')
    t.ok(
      keys.every((key) => key.equals(keys[0]!)),
      `${db.name}: every replica has the same key`,
    )
    t.ok(keys[0]!.equals(await resolveCursorKey(undefined, db.store.settings, () => Buffer.alloc(32, 99))), 'a restart reads it back')
    t.equal((await db.rows('select key from service_settings')).length, 1)
  }
})
