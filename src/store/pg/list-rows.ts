import { and, asc, count, desc, gt, sql, type AnyColumn, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from './database.js'
import { seekableSort, sortToSql, type SqlResource } from './filter-sql.js'
import { PAGE_KEY_FROM, pageKeys, type SeekableKey } from './page-keys.js'
import { pageWithTotal } from './paging.js'
import type { ListQuery } from '../records.js'

interface ListedTable {
  readonly table: PgTable
  readonly teamId: PgColumn
  readonly id: PgColumn
  readonly createdAt: PgColumn
  /** The team listed: `where` is scoped to it, and so are the page keys. */
  readonly team: string
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
  const seekable: SeekableKey | undefined = query.sortBy ? seekableSort(query.sortBy, resource) : { key, type: 'timestamptz' }
  const keys = seekable && pageKeys(db, listed.team, listed, query, seekable)
  let positioned = true
  let remembered: Promise<void> | undefined
  try {
    return await pageWithTotal(
      query.startIndex,
      query.count,
      async (limit, offset) => {
        // A deep page continues after the page before it when that one was served recently (page-keys.ts);
        // an empty answer is the end of the list, or no key kept, and then the page is the OFFSET page.
        const seek = keys && offset >= PAGE_KEY_FROM
        let rows = seek
          ? await select()
              .where(and(where, keys.after(offset)))
              .orderBy(...order)
              .limit(limit)
              .offset(0)
          : []
        positioned = rows.length === 0 && !(seek && (await keys.kept(offset)))
        if (positioned)
          rows = await select()
            .where(where)
            .orderBy(...order)
            .limit(limit)
            .offset(offset)
        // Where this page ended, for the next one; written while the total is read. Only a hint: a
        // write that fails leaves the next page to OFFSET, and must neither fail this page nor, still
        // unawaited while the total is read, reject with no handler (which would end the process).
        if (keys && rows.length === limit && offset + limit >= PAGE_KEY_FROM)
          remembered = keys.remember(offset + limit, rows.at(-1)!.id).catch(() => undefined)
        return rows
      },
      total,
      () => positioned,
    )
  } finally {
    await remembered
  }
}
