import { Column, is, SQL, type Query } from 'drizzle-orm'
import type { Db } from './database.js'

interface Decoder {
  mapFromDriverValue(value: unknown): unknown
}

/** What a flat select builder offers: its selection (in column order) and its SQL. */
interface FlatSelect<Row> {
  readonly _: { readonly selectedFields: Record<string, unknown> }
  toSQL(): Query
  execute(): Promise<Row[]>
}

export interface PreparedRows<Row> {
  execute(placeholders: Record<string, unknown>): Promise<Row[]>
}

/**
 * A prepared statement for a flat select whose rows are decoded by the selected columns
 * themselves, as drizzle decodes them, without drizzle's generic row mapper: on the requests IdPs
 * make most, that mapper cost as much as the rest of the query's JavaScript (see `npm run bench`).
 * The SQL, its placeholders and the named/unnamed statement are drizzle's own.
 */
export function preparedRows<Row>(db: Db, select: FlatSelect<Row>, name: string | undefined): PreparedRows<Row> {
  const fields = Object.entries(select._.selectedFields)
  const decoders = fields.map(([key, field]) => {
    if (is(field, Column)) return field
    if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder // `sql<T>` and `.mapWith()` set it
    throw new Error(`preparedRows: "${key}" is not a column or an SQL expression (nested selections are not flat)`)
  })
  const keys = fields.map(([key]) => key)
  const decode = (rows: unknown[][]) =>
    rows.map((row) => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < keys.length; i++) {
        const value = row[i]
        out[keys[i]!] = value === null ? null : decoders[i]!.mapFromDriverValue(value)
      }
      return out as Row
    })
  return db._.session.prepareQuery<{ execute: Row[]; all: unknown; values: unknown }>(select.toSQL(), undefined, name, true, decode)
}
