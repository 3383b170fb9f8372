import { and, eq, isNull, sql, type SQLWrapper } from 'drizzle-orm'
import type { Db } from './database.js'
import { caseFolded } from './case-folded.js'
import { preparedRows } from './prepared-rows.js'
import { scimConnections, scimUserCounts, scimUsers, ssoConfigs } from './schema.js'
import type { Filter } from '../../scim/filter/ast.js'
import { UNSTORABLE } from '../../scim/core/unstorable.js'
import type { ListQuery } from '../records.js'
import { foldCase } from '../../scim/core/case-fold.js'
import { userView } from '../../scim/core/user-resource.js'
import { pathKey, resolvePath, type ResolvedAttributePath } from '../../scim/core/attribute-path.js'

/** A placeholder for the team id, or the connection's team_id column in the fused statement. */
type TeamRef = SQLWrapper

/**
 * The eq lookups IdPs make before every write, each one index probe: the team's users whose
 * attribute equals the `value` placeholder.
 */
const lookups = {
  userNameLookup: (team: TeamRef) => and(eq(scimUsers.teamId, team), eq(caseFolded(scimUsers.userName), sql.placeholder('value'))),
  externalIdLookup: (team: TeamRef) => and(eq(scimUsers.teamId, team), eq(scimUsers.externalId, sql.placeholder('value'))),
  // The index condition alone is exact here: scim_email_values(doc) holds every string email value,
  // folded as `value` is (migration 0003), which is all `emails.value eq` asks. (filter-sql.ts adds
  // the element test because it also serves `emails[type eq ... and value eq ...]`.)
  // The team is compared as an expression no index is built on (`|| ''`), so that the email's GIN
  // index is the only way in: this statement is prepared, and its generic plan knows neither the team
  // nor the email. With many teams, team_id = $1 then looks selective (one team of hundreds) and the
  // planner ANDed a bitmap of the team's every row onto the email's: on a team of a million users,
  // 0.9 s a lookup instead of 0.2 ms (bench/run.ts, once it seeded accounts over many teams). An
  // email is held by a few users across all teams, so filtering them by team costs nothing.
  emailLookup: (team: TeamRef) =>
    and(sql`(${scimUsers.teamId} || '') = ${team}`, sql`scim_email_values(${scimUsers.doc}) @> array[${sql.placeholder('value')}]::text[]`),
}

export type EqLookup = keyof typeof lookups

/**
 * The queries nearly every IdP request makes: the bearer token's lookup, and the eq lookups IdPs
 * make before every write (userName, externalId, emails.value). `named`: as named prepared
 * statements, which PostgreSQL plans once per connection (1.1-1.7x faster than an unnamed query).
 * Unnamed (DATABASE_PREPARED_STATEMENTS=false, and inside transactions) for PgBouncer in transaction
 * mode, which cannot keep a connection's prepared statements: the same SQL either way.
 */
/** A lookup's statement as preparedLookups prepares it (the fused one wraps it in a lateral join); for EXPLAIN in tests. */
export function lookupStatement(db: Db, which: EqLookup, team: TeamRef) {
  return db
    .select(userColumns(scimUsers))
    .from(scimUsers)
    .where(lookups[which](team))
    .orderBy(scimUsers.createdAt, scimUsers.id)
    .limit(sql.placeholder('limit'))
}

export function preparedLookups(db: Db, named: boolean) {
  // node-postgres sends a query without a name as an unnamed statement; PGlite ignores names.
  const name = (statement: string) => (named ? statement : undefined)
  const credential = {
    teamId: scimConnections.teamId,
    endpointId: scimConnections.endpointId,
    tokenHash: scimConnections.tokenHash,
    lastUsedAt: scimConnections.lastUsedAt,
    ssoActive: sql<boolean>`coalesce(${ssoConfigs.active}, false)`,
  }
  const tokenIs = and(eq(scimConnections.tokenHash, sql.placeholder('tokenHash')), isNull(scimConnections.disabledAt))
  // At most `limit` matches, in creation order (externalId and emails may match more than one user).
  const matchesOf = (which: EqLookup, team: TeamRef) => lookupStatement(db, which, team)
  const lookup = (which: EqLookup) => preparedRows(db, matchesOf(which, sql.placeholder('teamId')), name(`scim_${which}`))
  /**
   * The token's lookup and an eq lookup in one statement, the lookup scoped by the token's own team:
   * one round trip instead of two for the requests IdPs make most. A row per match, or one whose
   * user columns are null; no row when the token is unknown or disabled.
   */
  const tokenAndLookup = (which: EqLookup) => {
    const matches = matchesOf(which, scimConnections.teamId).as('matches')
    return preparedRows(
      db,
      db
        .select({ ...credential, ...userColumns(matches) })
        .from(scimConnections)
        .leftJoin(ssoConfigs, eq(ssoConfigs.teamId, scimConnections.teamId))
        .leftJoinLateral(matches, sql`true`)
        .where(tokenIs)
        // The lateral subquery's order, kept whatever join order the planner picks.
        .orderBy(matches.createdAt, matches.id),
      name(`scim_token_${which}`),
    )
  }
  /**
   * The token's lookup, the first page of the team's users in creation order and their number, in one
   * statement: Okta's connection test (startIndex=1&count=2) and the first page of every import cost one
   * round trip, as an eq lookup does, instead of three (token, page, count). The total is the trigger-kept
   * counter (migrations 0002, 0008), read in the same snapshot as the page. A row per user, or one whose
   * user columns are null; no row when the token is unknown or disabled.
   */
  const firstPage = () => {
    const page = db
      .select(userColumns(scimUsers))
      .from(scimUsers)
      .where(eq(scimUsers.teamId, scimConnections.teamId))
      .orderBy(scimUsers.createdAt, scimUsers.id)
      .limit(sql.placeholder('limit'))
      .as('page')
    return preparedRows(
      db,
      db
        .select({ ...credential, ...userColumns(page), total: sql<number>`coalesce(${scimUserCounts.total}, 0)`.mapWith(Number) })
        .from(scimConnections)
        .leftJoin(ssoConfigs, eq(ssoConfigs.teamId, scimConnections.teamId))
        .leftJoin(scimUserCounts, eq(scimUserCounts.teamId, scimConnections.teamId))
        .leftJoinLateral(page, sql`true`)
        .where(tokenIs)
        .orderBy(page.createdAt, page.id),
      name('scim_token_first_page'),
    )
  }
  return {
    tokenLookup: preparedRows(
      db,
      db.select(credential).from(scimConnections).leftJoin(ssoConfigs, eq(ssoConfigs.teamId, scimConnections.teamId)).where(tokenIs),
      name('scim_token_lookup'),
    ),
    userNameLookup: lookup('userNameLookup'),
    externalIdLookup: lookup('externalIdLookup'),
    emailLookup: lookup('emailLookup'),
    tokenAnd: {
      userNameLookup: tokenAndLookup('userNameLookup'),
      externalIdLookup: tokenAndLookup('externalIdLookup'),
      emailLookup: tokenAndLookup('emailLookup'),
    },
    tokenAndFirstPage: firstPage(),
  }
}

type UserColumn = 'id' | 'userName' | 'externalId' | 'active' | 'accountId' | 'doc' | 'version' | 'createdAt' | 'lastModified'

/** The columns a ScimUserRecord is made of (pg-user-store.ts toUserRecord), of the table or of a subquery over it. */
function userColumns<T extends Record<UserColumn, unknown>>(from: T): Pick<T, UserColumn> {
  const { id, userName, externalId, active, accountId, doc, version, createdAt, lastModified } = from
  return { id, userName, externalId, active, accountId, doc, version, createdAt, lastModified }
}

/**
 * The lookups IdPs make before every write, recognised in a filter: `userName eq`, `externalId eq`,
 * `emails.value eq` / `emails[value eq]` (optionally core-URN-qualified), with the value as the
 * prepared statement compares it (folded where the attribute is not caseExact).
 */
export function bindableEqLookup(filter: Filter | undefined): { lookup: EqLookup; value: string } | undefined {
  // A value PostgreSQL cannot bind (U+0000) fails the whole statement, the token check with it: left
  // to the general path, whose validation answers 400 invalidFilter, after the token alone (401 first).
  const found = eqLookup(filter)
  return found && !UNSTORABLE.test(found.value) ? found : undefined
}

/** The attribute table's keys (attribute-path.ts pathKey) that a prepared lookup serves. */
const LOOKUP_OF: Readonly<Record<string, EqLookup>> = {
  username: 'userNameLookup',
  externalid: 'externalIdLookup',
  'emails.value': 'emailLookup',
}

function eqLookup(filter: Filter | undefined): { lookup: EqLookup; value: string } | undefined {
  let compared: Filter | undefined = filter
  let named: ResolvedAttributePath | undefined
  if (filter?.kind === 'valuePath') {
    // `emails[value eq "x"]` is `emails.value eq "x"`.
    const inner = filter.filter
    compared = inner
    if (inner.kind === 'compare' && !inner.path.urn && !inner.path.subAttr && !filter.path.subAttr)
      named = resolvePath({ ...filter.path, subAttr: inner.path.attr }, userView)
  } else if (filter?.kind === 'compare') named = resolvePath(filter.path, userView)
  if (!named || compared?.kind !== 'compare' || compared.op !== 'eq' || typeof compared.value !== 'string') return undefined
  const lookup = LOOKUP_OF[pathKey(named) ?? '']
  if (!lookup) return undefined
  return { lookup, value: (named.sub ?? named.attribute).caseExact ? compared.value : foldCase(compared.value) }
}

/** A first page in the default order (creation, ascending): what the prepared lookups read. */
function plainFirstPage({ afterId, sortBy, descending, startIndex, count }: ListQuery): boolean {
  return afterId === undefined && sortBy === undefined && !descending && startIndex === 1 && count > 0
}

/**
 * A list request an eq lookup answers whole: its first page in the default order. `sortOrder=descending`
 * without sortBy reverses the default order on the general path, so it is not one (several users may share
 * an email or an externalId).
 */
export function eqLookupPage(query: ListQuery): { lookup: EqLookup; value: string } | undefined {
  return plainFirstPage(query) ? bindableEqLookup(query.filter) : undefined
}

/** The first page of the unfiltered list in its default order, which `tokenAndFirstPage` reads with the token. */
export function firstPageQuery(query: ListQuery): boolean {
  return plainFirstPage(query) && query.filter === undefined
}

export type PreparedLookups = ReturnType<typeof preparedLookups>
