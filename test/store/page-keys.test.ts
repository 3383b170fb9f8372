/**
 * Index pages that continue a recent page seek from its remembered key (page-keys.ts) instead of an
 * OFFSET: on a quiet list they are the OFFSET pages exactly, in every order that can seek; the key is
 * the one used (a planted key moves the page); a team only ever reads its own keys; a missing or
 * expired key falls back to OFFSET; a user deleted before the page makes no other user slip past an
 * import; and the table stays within PAGE_KEY_SLOTS rows a team. On PGlite and PostgreSQL.
 */
import { t } from '../helpers/file-test.js'
import { parseFilter, parsePatchPath } from '../../src/scim/filter/parser.js'
import { PAGE_KEY_FROM, PAGE_KEY_SLOTS, PAGE_KEY_TTL_SECONDS } from '../../src/store/pg/page-keys.js'
import type { ListQuery } from '../../src/store/records.js'
import { testDatabases, type TestDatabase } from '../helpers/databases.js'

const USERS = 2_500
const GROUPS = 1_300

/**
 * Users of `team`: creation times three to a microsecond step (ties broken by id; JavaScript's Date
 * would merge neighbours), every fourth deactivated, userNames out of creation order.
 */
async function seed(db: TestDatabase, team: string) {
  const statements = [
    `insert into teams (id, name) values ('${team}', '${team}')`,
    `insert into accounts (id, email) select md5('${team}-a-' || n)::uuid, '${team}-' || n || '@accounts.test' from generate_series(1, ${USERS}) n`,
    `insert into scim_users (team_id, id, user_name, active, account_id, doc, created_at, last_modified)
       select '${team}', md5('${team}-u-' || n)::uuid, 'user' || ((n * 7919) % ${USERS}) || '@${team}.test', n % 4 <> 0,
         md5('${team}-a-' || n)::uuid, jsonb_build_object('userName', 'user' || ((n * 7919) % ${USERS}) || '@${team}.test', 'active', n % 4 <> 0),
         timestamptz '2026-01-01' + (n / 3) * interval '1 microsecond', timestamptz '2026-02-01' + (n % 500) * interval '1 second'
       from generate_series(1, ${USERS}) n`,
    `insert into scim_groups (team_id, id, display_name, doc, created_at)
       select '${team}', md5('${team}-g-' || n)::uuid, 'Group ' || n, jsonb_build_object('displayName', 'Group ' || n),
         timestamptz '2026-01-01' + (n / 2) * interval '1 microsecond'
       from generate_series(1, ${GROUPS}) n`,
  ]
  for (const statement of statements) await db.rows(statement)
}

const query = (startIndex: number, count: number, more: Partial<ListQuery> = {}): ListQuery => ({ startIndex, count, ...more })

for (const db of await testDatabases(t)) {
  t.test(db.name, async (t) => {
    await db.reset()
    await seed(db, 'a')
    await seed(db, 'b')
    await db.rows('analyze')
    const { store } = db
    const ids = async (team: string, q: ListQuery) => (await store.users.listUsers(team, q)).resources.map((u) => u.id)
    /** What OFFSET paging returns: the same list with no key to seek from. */
    const offsetPage = async (team: string, q: ListQuery) => {
      await db.rows('delete from scim_page_keys')
      const page = await ids(team, q)
      await db.rows('delete from scim_page_keys')
      return page
    }
    const keyCount = async (team: string) =>
      (await db.rows<{ n: number }>(`select count(*)::int as n from scim_page_keys where team_id = '${team}'`))[0]!.n

    t.test('on a quiet list, consecutive index pages are the OFFSET pages, in each order that seeks', async (t) => {
      const shapes: [string, Partial<ListQuery>][] = [
        ['creation order', {}],
        ['active eq true', { filter: parseFilter('active eq true') }],
        ['sortBy userName descending', { sortBy: parsePatchPath('userName').path, descending: true }],
        ['sortBy meta.lastModified (many ties)', { sortBy: parsePatchPath('meta.lastModified').path }],
        ['sortBy id', { sortBy: parsePatchPath('id').path }],
      ]
      for (const [name, more] of shapes) {
        const expected = new Map<number, string[]>()
        for (let start = 1; start <= USERS; start += 100) expected.set(start, await offsetPage('a', query(start, 100, more)))
        await db.rows('delete from scim_page_keys')
        const walked: string[] = []
        for (let start = 1; start <= USERS; start += 100) {
          const page = await store.users.listUsers('a', query(start, 100, more))
          t.same(
            page.resources.map((u) => u.id),
            expected.get(start),
            `${name}: page at ${start}`,
          )
          walked.push(...page.resources.map((u) => u.id))
        }
        t.same(await ids('a', query(USERS + 1, 100, more)), [], `${name}: past the last page (after its key), an empty page`)
        t.equal(new Set(walked).size, walked.length, `${name}: no user twice`)
        t.ok((await keyCount('a')) > 0, `${name}: pages past ${PAGE_KEY_FROM} were remembered`)
      }
      // Groups page the same way (group-queries.ts).
      const groupIds = async (start: number) => (await store.groups.listGroups('a', query(start, 100))).resources.map((g) => g.id)
      const expected: string[][] = []
      for (let start = 1; start <= GROUPS; start += 100) {
        await db.rows('delete from scim_page_keys')
        expected.push(await groupIds(start))
      }
      await db.rows('delete from scim_page_keys')
      const walked: string[][] = []
      for (let start = 1; start <= GROUPS; start += 100) walked.push(await groupIds(start))
      t.same(walked, expected, 'groups: every page')
    })

    t.test('the remembered key is what the next page seeks from', async (t) => {
      await db.rows('delete from scim_page_keys')
      const all = await offsetPage('a', query(1, USERS))
      await ids('a', query(1001, 100))
      // Plant the key of the row at position 1500 where the page ending at 1100 was remembered.
      await db.rows(
        `update scim_page_keys set sort_key = (select created_at::text from scim_users where team_id = 'a' and id = '${all[1499]}'),
           last_id = '${all[1499]}' where team_id = 'a' and position = 1100`,
      )
      t.same(await ids('a', query(1101, 100)), all.slice(1500, 1600), 'the page continues after the planted key')
      t.same(await ids('a', query(1201, 50)), all.slice(1600, 1650), 'and the next after where that page ended, whatever its count')
    })

    t.test("a team never reads another team's keys", async (t) => {
      await db.rows('delete from scim_page_keys')
      const a = await offsetPage('a', query(1, USERS))
      await ids('b', query(1001, 100))
      // Team b's key, moved to the position team a asks for next and pointing far into team a's list.
      await db.rows(
        `update scim_page_keys set sort_key = (select created_at::text from scim_users where team_id = 'a' and id = '${a[2000]}'),
           last_id = '${a[2000]}' where team_id = 'b'`,
      )
      t.same(await ids('a', query(1101, 100)), a.slice(1100, 1200), "team b's key is not used for team a")
      t.equal(await keyCount('a'), 1, "team a's page wrote its own key")
      const b = await offsetPage('b', query(1, USERS))
      await ids('b', query(1001, 100))
      t.same(await ids('b', query(1101, 100)), b.slice(1100, 1200), "team b's own page is its own")
      t.ok(
        (await store.users.listUsers('b', query(1101, 100))).resources.every((u) => u.userName.endsWith('@b.test')),
        'and holds its own users only',
      )
    })

    t.test('without a key, or with an expired one, the page is the OFFSET page', async (t) => {
      await db.rows('delete from scim_page_keys')
      const all = await offsetPage('a', query(1, USERS))
      t.same(await ids('a', query(2001, 100)), all.slice(2000, 2100), 'a deep page with no key before it')
      await ids('a', query(1001, 100))
      await db.rows(
        `update scim_page_keys set last_id = '${all[1999]}', sort_key = (select created_at::text from scim_users where id = '${all[1999]}'),
           stored_at = now() - interval '${PAGE_KEY_TTL_SECONDS + 1} seconds'`,
      )
      t.same(await ids('a', query(1101, 100)), all.slice(1100, 1200), 'an expired key is not used')
      const kept = await keyCount('a')
      t.equal((await store.users.listUsers('a', query(1, 2))).resources.length, 2)
      t.equal((await store.users.listUsers('a', query(PAGE_KEY_FROM - 100, 100))).resources.length, 100)
      t.equal(await keyCount('a'), kept, "Okta's connection test and pages ending before PAGE_KEY_FROM write no key")
    })

    t.test('a user deleted before the page makes no other user slip past an import', async (t) => {
      await db.rows('delete from scim_page_keys')
      const before = await offsetPage('a', query(1, USERS))
      const seen = [...(await ids('a', query(1001, 100)))]
      // Ten users of pages already read go, and the last user of the page just read.
      for (const id of [...before.slice(10, 20), before[1099]!]) t.ok(await store.users.deleteUser('a', id))
      const next = await store.users.listUsers('a', query(1101, 100))
      t.same(
        next.resources.map((u) => u.id),
        before.slice(1100, 1200),
        'the page continues after the last user read (OFFSET would have skipped 11)',
      )
      t.equal(next.totalResults, USERS - 11, 'totalResults is the current total')
      seen.push(...next.resources.map((u) => u.id))
      const rest = await store.users.listUsers('a', query(1201, 1350))
      t.same(
        rest.resources.map((u) => u.id),
        before.slice(1200),
        'and so does the next',
      )
      t.equal(rest.totalResults, USERS - 11, 'a short page after a key is counted (its position would say 2,499)')
      seen.push(...rest.resources.map((u) => u.id))
      t.same(seen, before.slice(1000), 'the import from position 1,001 saw every user once')
    })

    t.test('the table holds at most PAGE_KEY_SLOTS rows a team, whatever the pages asked', async (t) => {
      for (let start = PAGE_KEY_FROM; start < USERS; start += 7) await ids('b', query(start, 5))
      for (const filter of ['active eq true', 'active eq false', 'userName sw "user1"']) {
        for (let start = PAGE_KEY_FROM - 9; start < PAGE_KEY_FROM + 400; start += 10)
          await ids('b', query(start, 10, { filter: parseFilter(filter) }))
      }
      const n = await keyCount('b')
      t.ok(n > 0 && n <= PAGE_KEY_SLOTS, `${n} rows for team b`)
    })
  })
}
