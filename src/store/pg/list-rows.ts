import { and, asc, count, desc, gt, sql, type AnyColumn, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from './database.js'
import { sortToSql, type SqlResource } from './filter-sql.js'
import { pageWithTotal } from './paging.js'
import type { ListQuery } from '../team-store.js'

interface ListedTable {
  readonly table: PgTable
  readonly id: PgColumn
  readonly createdAt: PgColumn
}

/**
 * One page of a list (Users or Groups) with its exact total: index paging in the requested order
 * (RFC 7644 §3.4.2.3-4, ties broken by id), or cursor paging on the primary key (RFC 9865).
 */
export async function listRows<Row extends { id: string }>(
  db: Db,
  listed: ListedTable,
  resource: SqlResource,
  where: SQL | undefined,
  query: ListQuery,
  /** A cheaper exact total for this query (per-team counters), when there is one. */
  knownTotal?: () => Promise<number>,
): Promise<{ totalResults: number; rows: Row[]; nextAfterId?: string | undefined }> {
  const total = knownTotal ?? (async () => (await db.select({ n: count() }).from(listed.table).where(where))[0]?.n ?? 0)
  const select = () =>
    db.select().from(listed.table) as unknown as {
      where(w: SQL | undefined): { orderBy(...o: (SQL | AnyColumn)[]): { limit(n: number): { offset(n: number): Promise<Row[]> } } }
    }
  if (query.afterId !== undefined) {
    const after = query.afterId === null ? where : and(where, gt(listed.id, query.afterId))
    // One row more than the page says whether another page follows.
    const rows =
      query.count === 0
        ? []
        : await select()
            .where(after)
            .orderBy(asc(listed.id))
            .limit(query.count + 1)
            .offset(0)
    const page = rows.slice(0, query.count)
    return { totalResults: await total(), rows: page, nextAfterId: rows.length > query.count ? page.at(-1)?.id : undefined }
  }
  const key = query.sortBy ? sortToSql(query.sortBy, resource) : sql`${listed.createdAt}`
  const order = query.descending ? [desc(key), asc(listed.id)] : [asc(key), asc(listed.id)]
  return pageWithTotal(
    query.startIndex,
    query.count,
    (limit, offset) =>
      select()
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
    total,
  )
}
