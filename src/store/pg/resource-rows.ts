import { and, eq } from 'drizzle-orm'
import type { Executor } from './executor.js'
import { readRows } from './row-lock.js'
import { scimGroups, scimUsers } from './schema.js'

/** A SCIM resource's table: rows keyed by (team_id, id), written under optimistic versions. */
type ResourceTable = typeof scimUsers | typeof scimGroups

/** What a stored record shares whatever its resource type (records.ts ScimUserRecord, ScimGroupRecord). */
interface ResourceRecord {
  readonly id: string
  readonly version: number
  readonly created: Date
}

/**
 * A resource table's row by id (locked when asked) and its writes: insert, update under the expected
 * version (false when another write moved it on, RFC 7644 §3.14), delete; always within the team. `columns` maps a record to its
 * row's columns, without team_id and created_at.
 */
export function resourceRows<Table extends ResourceTable, Rec extends ResourceRecord>(
  table: Table,
  columns: (record: Rec) => Omit<Table['$inferInsert'], 'teamId' | 'createdAt'>,
) {
  // drizzle cannot resolve its value types for a table type parameter: the row is checked against
  // the table where `columns` is written (its return type), and passed on unchecked here.
  const key = (teamId: string, id: string) => and(eq(table.teamId, teamId), eq(table.id, id))
  return {
    async get(db: Executor, teamId: string, id: string, options?: { lock?: boolean }): Promise<Table['$inferSelect'] | undefined> {
      const rows = (await readRows(
        db
          .select()
          .from(table as typeof scimUsers)
          .where(key(teamId, id)),
        options,
      )) as Table['$inferSelect'][]
      return rows[0]
    },
    async insert(db: Executor, teamId: string, record: Rec): Promise<void> {
      await db.insert(table).values({ teamId, ...columns(record), createdAt: record.created } as never)
    },
    async update(db: Executor, teamId: string, record: Rec, expectedVersion: number): Promise<boolean> {
      const rows = await db
        .update(table)
        .set(columns(record) as never)
        .where(and(key(teamId, record.id), eq(table.version, expectedVersion)))
        .returning({ id: table.id })
      return rows.length > 0
    },
    async remove(db: Executor, teamId: string, id: string): Promise<boolean> {
      const rows = await db.delete(table).where(key(teamId, id)).returning({ id: table.id })
      return rows.length > 0
    },
  }
}
