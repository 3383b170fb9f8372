/**
 * The eq lookups IdPs make before every create and update (userName, externalId, id), the substring
 * filters people search with (co/sw/ew of 3 or more characters on userName, displayName,
 * name.familyName, emails.value) and incremental-sync ranges must be served by an index, not by
 * reading the team's every user. Checked with EXPLAIN with 20 000 users, on the two queries
 * userListQuery runs (the page and the count), on PostgreSQL and on PGlite.
 */
import { createHash } from 'node:crypto'
import { and, asc, count, desc, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { t } from '../helpers/file-test.js'
import { parseFilter, parsePatchPath } from '../../src/scim/filter/parser.js'
import { filterToSql, sortToSql } from '../../src/store/pg/filter-sql.js'
import { pageKeys } from '../../src/store/pg/page-keys.js'
import { scimUsers } from '../../src/store/pg/schema.js'
import { userSqlResource } from '../../src/store/pg/user-queries.js'
import { testDatabases } from '../helpers/databases.js'

const TEAM = 'explain'
const groupId = uuidOf('group-1')
const USERS = 20_000

/** The id generate_series gives user n: md5 text is 32 hex digits, which PostgreSQL reads as a uuid. */
function userId(n: number): string {
  return uuidOf(`user-${n}`)
}

function uuidOf(text: string): string {
  const hex = createHash('md5').update(text).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** One statement per table: a row per n of generate_series, shaped as the store writes them. */
const SEED = [
  `insert into teams (id, name) values ('${TEAM}', 'Explain')`,
  `insert into accounts (id, email)
     select md5('account-' || n)::uuid, 'explain-' || n || '@accounts.test' from generate_series(1, ${USERS}) n`,
  `insert into scim_users (team_id, id, user_name, external_id, active, account_id, doc, version, created_at, last_modified)
     select '${TEAM}', md5('user-' || n)::uuid, 'User' || n || '@Example.com', 'ext-' || n, n % 10 <> 0, md5('account-' || n)::uuid,
       jsonb_build_object(
         'userName', 'User' || n || '@Example.com', 'externalId', 'ext-' || n, 'active', n % 10 <> 0,
         'displayName', 'User ' || n, 'name', jsonb_build_object('givenName', 'User', 'familyName', 'Smith' || n),
         'emails', jsonb_build_array(jsonb_build_object('value', 'user' || n || '@example.com', 'type', 'work', 'primary', true))),
       1, timestamptz '2026-01-01' + n * interval '1 minute', timestamptz '2026-01-01' + n * interval '1 minute'
     from generate_series(1, ${USERS}) n`,
  // One group of 50 members, for groups.value eq: the members' rows, not a pass over the team.
  `insert into scim_groups (team_id, id, display_name, doc) values ('${TEAM}', md5('group-1')::uuid, 'Engineering', '{"displayName": "Engineering"}')`,
  `insert into scim_group_members (team_id, group_id, user_id) select '${TEAM}', md5('group-1')::uuid, md5('user-' || n)::uuid from generate_series(1, 50) n`,
  'analyze accounts',
  'analyze scim_users',
]

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  /** EXPLAIN ANALYZE: the rows this node read or passed on, and those its filter threw away. */
  'Actual Rows'?: number
  'Rows Removed by Filter'?: number
  Plans?: PlanNode[]
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
}

const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'])

for (const db of await testDatabases(t)) {
  // Both databases: the embedded default serves the same lookups and must plan them on the same indexes.
  t.test(db.name, async (t) => {
    for (const statement of SEED) await db.rows(statement)
    await db.rows('analyze')

    const { db: drizzle } = db.database
    const planOf = async (query: SQLWrapper, analyze = false) => {
      const [row] = await db.rows<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
        analyze ? sql`explain (analyze, format json) ${query}` : sql`explain (format json) ${query}`,
      )
      const explained = row!['QUERY PLAN']
      return nodes((typeof explained === 'string' ? (JSON.parse(explained) as [{ Plan: PlanNode }]) : explained)[0].Plan)
    }
    /** The two statements userListQuery sends for this filter (user-queries.ts, paging.ts). */
    const queries = (condition: SQL) => {
      const where = and(eq(scimUsers.teamId, TEAM), condition)
      return {
        page: drizzle.select().from(scimUsers).where(where).orderBy(asc(scimUsers.createdAt), asc(scimUsers.id)).limit(100).offset(0),
        count: drizzle.select({ n: count() }).from(scimUsers).where(where),
      }
    }

    const cases: { filter: string; index: string | string[]; matches?: number }[] = [
      // Mixed case on purpose: the folded comparison must still match the lower(... collate "C") index.
      { filter: 'userName eq "uSER12345@example.COM"', index: 'scim_users_user_name_key' },
      { filter: 'externalId eq "ext-12345"', index: 'scim_users_external_id_idx' },
      { filter: `id eq "${userId(12345)}"`, index: 'scim_users_pkey' },
      { filter: 'emails.value eq "USER12345@example.com"', index: 'scim_users_email_values_idx' },
      { filter: 'emails[type eq "work" and value eq "user12345@example.com"]', index: 'scim_users_email_values_idx' },
      { filter: 'userName co "ER12345@"', index: 'scim_users_user_name_trgm_idx' },
      { filter: 'userName ew "12345@example.com"', index: 'scim_users_user_name_trgm_idx' },
      // A prefix is a range of the btree under the "C" collation, or a trigram lookup: either is an index.
      { filter: 'userName sw "USER1234"', index: ['scim_users_user_name_key', 'scim_users_user_name_trgm_idx'], matches: 11 },
      { filter: 'displayName eq "user 12345"', index: 'scim_users_display_name_idx' },
      { filter: 'displayName sw "User 1234"', index: ['scim_users_display_name_idx', 'scim_users_display_name_trgm_idx'], matches: 11 },
      { filter: 'displayName co "SER 12345"', index: 'scim_users_display_name_trgm_idx' },
      { filter: 'displayName ew "r 12345"', index: 'scim_users_display_name_trgm_idx' },
      { filter: 'name.familyName co "ith12345"', index: 'scim_users_family_name_trgm_idx' },
      { filter: 'name.familyName sw "SMITH1234"', index: 'scim_users_family_name_trgm_idx', matches: 11 },
      { filter: 'name.familyName ew "h12345"', index: 'scim_users_family_name_trgm_idx' },
      { filter: 'name.familyName eq "SMITH12345"', index: 'scim_users_family_name_trgm_idx' },
      { filter: 'emails.value co "ER12345@"', index: 'scim_users_email_trgm_idx' },
      { filter: 'emails[value sw "user12345@"]', index: 'scim_users_email_trgm_idx' },
      { filter: 'emails[type eq "work" and value ew "12345@example.com"]', index: 'scim_users_email_trgm_idx' },
      // An eq narrows more than a substring: the values array is used, as filter-indexes.ts assumes (a lookup).
      { filter: 'emails[value co "er1234" and value eq "user12345@example.com"]', index: 'scim_users_email_values_idx' },
      { filter: 'meta.created gt "2026-01-14T21:15:00Z"', index: 'scim_users_created_idx', matches: 5 },
      { filter: `groups.value eq "${groupId}"`, index: ['scim_group_members_pkey', 'scim_users_pkey'], matches: 50 },
      { filter: `groups[value eq "${groupId}"]`, index: ['scim_group_members_pkey', 'scim_users_pkey'], matches: 50 },
      // An incremental sync: the users changed since the last run, the last 5 minutes of the seed.
      { filter: 'meta.lastModified gt "2026-01-14T21:15:00Z"', index: 'scim_users_last_modified_idx', matches: 5 },
    ]
    for (const { filter, index, matches = 1 } of cases) {
      const indexes = Array.isArray(index) ? index : [index]
      const built = queries(filterToSql(parseFilter(filter), userSqlResource))
      for (const [name, query] of Object.entries(built)) {
        const plan = await planOf(query)
        const summary = plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ')
        t.notOk(
          plan.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'scim_users'),
          `${filter} (${name}): no Seq Scan on scim_users [${summary}]`,
        )
        t.ok(
          plan.some((n) => INDEX_SCANS.has(n['Node Type']) && indexes.includes(n['Index Name'] ?? '')),
          `${filter} (${name}): served by ${indexes.join(' or ')} [${summary}]`,
        )
      }
      // The plan is only worth something if the query finds the users.
      t.equal((await built.page).length, matches, `${filter} finds its ${matches} user(s)`)
    }

    // Migration 0007: email lookups must not read a GIN pending list (fast update off on that index).
    const [options] = await db.rows<{ reloptions: string[] | string | null }>(
      sql`select reloptions from pg_class where relname = 'scim_users_email_values_idx'`,
    )
    t.match(String(options?.reloptions), /fastupdate=off/, 'the email index writes straight into the index')

    // The orders user-queries.ts lets a large team use: a page reads its rows along an index, no sort of the team.
    for (const path of ['userName', 'displayName', 'meta.created', 'meta.lastModified', 'id']) {
      for (const direction of [asc, desc]) {
        const page = drizzle
          .select()
          .from(scimUsers)
          .where(eq(scimUsers.teamId, TEAM))
          .orderBy(direction(sortToSql(parsePatchPath(path).path, userSqlResource)), asc(scimUsers.id))
          .limit(100)
        const plan = await planOf(page)
        const summary = plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ')
        t.notOk(
          plan.some((n) => n['Node Type'] === 'Seq Scan' || n['Node Type'] === 'Bitmap Heap Scan'),
          `sortBy ${path} ${direction.name}: read along an index [${summary}]`,
        )
      }
    }

    // An `active eq true|false` page reads its own users, whatever share is deactivated (one in
    // ten here). `active eq false` along scim_users_active_created_idx: along scim_users_created_idx it read
    // a thousand users for its hundred. `active eq true` along either: the planner may step over the few
    // deactivated in creation order. Counted with EXPLAIN ANALYZE.
    const summaryOf = (plan: PlanNode[]) =>
      plan
        .map((n) =>
          [
            n['Node Type'],
            n['Index Name'],
            n['Actual Rows'] === undefined ? '' : `rows=${n['Actual Rows']}`,
            n['Rows Removed by Filter'] ?? '',
          ]
            .join(' ')
            .trim(),
        )
        .join(' > ')
    for (const value of [true, false]) {
      const page = drizzle
        .select()
        .from(scimUsers)
        .where(and(eq(scimUsers.teamId, TEAM), filterToSql(parseFilter(`active eq ${value}`), userSqlResource)))
        .orderBy(asc(scimUsers.createdAt), asc(scimUsers.id))
        .limit(100)
      const plan = await planOf(page, true)
      const scan = plan.find((n) => INDEX_SCANS.has(n['Node Type']) && n['Relation Name'] === 'scim_users')
      const indexes = value ? ['scim_users_active_created_idx', 'scim_users_created_idx'] : ['scim_users_active_created_idx']
      t.ok(indexes.includes(scan?.['Index Name'] ?? ''), `active eq ${value}: along ${indexes.join(' or ')} [${summaryOf(plan)}]`)
      t.equal(scan?.['Actual Rows'], 100, `active eq ${value}: reads the page's 100 users`)
      t.ok((scan?.['Rows Removed by Filter'] ?? 0) <= 20, `active eq ${value}: and few others (${scan?.['Rows Removed by Filter'] ?? 0})`)
      t.notOk(
        plan.some((n) => n['Node Type'] === 'Sort'),
        `active eq ${value}: no sort`,
      )
    }

    // A page that continues after a remembered key (page-keys.ts) seeks to it, the key read in the same
    // statement: 100 rows read at position 15,001, not the 15,000 an OFFSET steps over.
    const keys = pageKeys(
      drizzle,
      TEAM,
      { table: scimUsers, teamId: scimUsers.teamId, id: scimUsers.id },
      { startIndex: 15_001, count: 100 },
      { key: sql`${scimUsers.createdAt}`, type: 'timestamptz' },
    )
    await keys.remember(15_000, userId(15_000))
    const afterKey = drizzle
      .select()
      .from(scimUsers)
      .where(and(eq(scimUsers.teamId, TEAM), keys.after(15_000)))
      .orderBy(asc(scimUsers.createdAt), asc(scimUsers.id))
      .limit(100)
    const seekPlan = await planOf(afterKey, true)
    const seek = seekPlan.find((n) => INDEX_SCANS.has(n['Node Type']) && n['Relation Name'] === 'scim_users')
    t.equal(seek?.['Index Name'], 'scim_users_created_idx', `after a remembered key: along the creation order [${summaryOf(seekPlan)}]`)
    t.match(seek?.['Index Cond'], /created_at >=/, 'sought from the key')
    t.ok((seek?.['Actual Rows'] ?? Infinity) <= 101, `reads the page, not the rows before it (${seek?.['Actual Rows']})`)
    t.equal((await afterKey)[0]?.id, userId(15_001), 'and starts right after the key')
  })
}
