import { and, asc, count, eq, type SQL } from 'drizzle-orm'
import type { Db } from './database.js'
import { scimUsers } from './schema.js'
import type { ListQuery } from '../team-store.js'

/** GET /Users: one page and the exact total (RFC 7644 §3.4.2.4). */
export async function userListQuery(db: Db, teamId: string, query: ListQuery) {
  const where: SQL | undefined = and(eq(scimUsers.teamId, teamId))
  const [total] = await db.select({ n: count() }).from(scimUsers).where(where)
  const rows =
    query.count === 0
      ? []
      : await db
          .select()
          .from(scimUsers)
          .where(where)
          .orderBy(asc(scimUsers.createdAt), asc(scimUsers.id))
          .limit(query.count)
          .offset(query.startIndex - 1)
  return { totalResults: total?.n ?? 0, rows }
}
