import { createHash } from 'node:crypto'
import { and, eq, getTableName, sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from './database.js'
import { scimPageKeys } from './schema.js'
import { formatAttrPath, formatFilter } from '../../scim/filter/format.js'
import type { ListQuery } from '../records.js'

/**
 * Index pages that start this far in (an OFFSET of at least this many rows) seek from where the page
 * before them ended, and pages that end this far in are remembered. Nearer the start, skipping rows
 * costs less than remembering them would: Okta's connection test and small teams never write here.
 */
export const PAGE_KEY_FROM = 1000
/** A remembered key is used this long after it was written: between two pages of one import. */
export const PAGE_KEY_TTL_SECONDS = 600
/** At most this many rows a team (the table's primary key), whatever the clients send. */
export const PAGE_KEY_SLOTS = 64

/** A sort key that can be sought from: NOT NULL, and cast back from text exactly (timestamps to the microsecond). */
export interface SeekableKey {
  readonly key: SQL
  readonly type: 'timestamptz' | 'uuid' | 'text'
}

export interface PagedTable {
  readonly table: PgTable
  readonly teamId: PgColumn
  readonly id: PgColumn
}

/**
 * Okta imports with startIndex pages of 100, and an OFFSET skips every row before the page: a full
 * import of a million users would read 50 billion index entries. The page that ends at position P
 * (1-based) leaves its last row's sort key and id here; a request for startIndex P + 1 in the same
 * list (team, resource type, filter, sortBy, sortOrder) within the TTL continues after that key, as
 * a cursor page does (keyset on the list's own order). Without a key, or with an expired one, it
 * skips rows by OFFSET, as before.
 *
 * What a page holds when users change during an import (README, Lists): the page continues after the
 * previous page's last user, so a user deleted or deactivated before it makes no other user slip
 * past the import (OFFSET would skip one), and one added before it is not returned twice (it is in
 * the next import). On a list nothing changed in, a page is exactly the OFFSET page.
 */
export function pageKeys(db: Db, teamId: string, paged: PagedTable, query: ListQuery, seekable: SeekableKey) {
  const shape = createHash('sha256')
    .update(
      [
        getTableName(paged.table),
        query.filter ? formatFilter(query.filter) : '',
        query.sortBy ? formatAttrPath(query.sortBy).toLowerCase() : '',
        query.descending ? 'descending' : 'ascending',
      ].join('\n'),
    )
    .digest('base64url')
  const slot = (position: number) => createHash('sha256').update(`${shape}\n${position}`).digest().readUInt16BE(0) % PAGE_KEY_SLOTS
  /** The key kept for the page that ended at `position`, written within the TTL. */
  const keptAt = (position: number) =>
    and(
      eq(scimPageKeys.teamId, teamId),
      eq(scimPageKeys.slot, slot(position)),
      eq(scimPageKeys.shape, shape),
      eq(scimPageKeys.position, position),
      sql`${scimPageKeys.storedAt} > now() - make_interval(secs => ${PAGE_KEY_TTL_SECONDS})`,
    )
  const cast = seekable.type === 'text' ? sql`` : sql`::${sql.raw(seekable.type)}`

  return {
    /** Whether a page ending at `position` was served recently (a key is kept for it). */
    async kept(position: number): Promise<boolean> {
      const [row] = await db
        .select({ one: sql`1` })
        .from(scimPageKeys)
        .where(keptAt(position))
      return row !== undefined
    },

    /**
     * The rows after the key kept for `position`, in the list's order (sort key, then id ascending:
     * listRows' ORDER BY); no row when no key is kept. The key is read in the page's own statement
     * (one round trip, as a cursor page's): PostgreSQL reads each subquery once, before the scan, and
     * seeks the index to it.
     */
    after(position: number): SQL {
      const { key } = seekable
      const kept = (column: SQL) => sql`(select ${column} from ${scimPageKeys} where ${keptAt(position)})`
      const k = kept(sql`${scimPageKeys.sortKey}${cast}`)
      const id = kept(sql`${scimPageKeys.lastId}`)
      // The range on the key alone is what an index seeks on; a tie on the key is broken by id.
      return query.descending
        ? sql`(${key} <= ${k} and (${key} < ${k} or ${paged.id} > ${id}))`
        : sql`(${key} >= ${k} and (${key} > ${k} or ${paged.id} > ${id}))`
    },

    /**
     * Remembers that the row `lastId` is at `position`. Its key is copied from the row in SQL (a
     * timestamp through JavaScript would lose its microseconds); a row deleted meanwhile leaves nothing.
     */
    async remember(position: number, lastId: string): Promise<void> {
      await db.execute(sql`
        insert into scim_page_keys (team_id, slot, shape, position, sort_key, last_id, stored_at)
        select ${teamId}, ${slot(position)}, ${shape}, ${position}, (${seekable.key})::text, ${paged.id}, now()
        from ${paged.table}
        where ${paged.teamId} = ${teamId} and ${paged.id} = ${lastId}::uuid
        on conflict (team_id, slot) do update set shape = excluded.shape, position = excluded.position,
          sort_key = excluded.sort_key, last_id = excluded.last_id, stored_at = excluded.stored_at`)
    },
  }
}

export type PageKeys = ReturnType<typeof pageKeys>
