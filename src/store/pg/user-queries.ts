import { and, asc, count, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { filterToSql, type SqlResource } from './filter-sql.js'
import { pageWithTotal } from './paging.js'
import { scimUsers } from './schema.js'
import { userView } from '../../scim/core/user-resource.js'
import type { ListQuery } from '../team-store.js'

/** Users' filterable attributes that live in columns (indexed), the rest is in `doc`. */
export const userSqlResource: SqlResource = {
  view: userView,
  doc: sql`${scimUsers.doc}`,
  columns: {
    id: { column: sql`${scimUsers.id}`, notNull: true, uuid: true },
    username: { column: sql`${scimUsers.userName}`, notNull: true },
    externalid: { column: sql`${scimUsers.externalId}`, notNull: false },
    active: { column: sql`${scimUsers.active}`, notNull: true },
    'meta.created': { column: sql`${scimUsers.createdAt}`, notNull: true },
    'meta.lastmodified': { column: sql`${scimUsers.lastModified}`, notNull: true },
  },
  constants: { 'meta.resourcetype': 'User' },
}

/** GET /Users: one page and the exact total (RFC 7644 §3.4.2.4). */
export async function userListQuery(db: Db, teamId: string, query: ListQuery) {
  const conditions: SQL[] = [eq(scimUsers.teamId, teamId)]
  if (query.filter) conditions.push(filterToSql(query.filter, userSqlResource))
  const where = and(...conditions)
  return pageWithTotal(
    query.startIndex,
    query.count,
    (limit, offset) => db.select().from(scimUsers).where(where).orderBy(asc(scimUsers.createdAt), asc(scimUsers.id)).limit(limit).offset(offset),
    async () => (await db.select({ n: count() }).from(scimUsers).where(where))[0]?.n ?? 0,
  )
}
