import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'

/**
 * The SQL side of scim/core/case-fold.ts: lower() under the "C" collation folds ASCII letters only,
 * exactly as foldCase does, whatever the database's locale. The unique indexes on account emails,
 * userNames and group displayNames are built on this expression, so a lookup written with it (and a
 * value passed through foldCase) is one index probe that agrees with the index on what is "the same".
 */
export function caseFolded(expression: SQLWrapper): SQL {
  return sql`lower(${expression} collate "C")`
}
