/** A select that can take its rows' locks (drizzle's `.for`). */
interface Lockable<Rows> extends PromiseLike<Rows> {
  for(strength: 'update'): PromiseLike<Rows>
}

/**
 * The rows of `query`, `SELECT ... FOR UPDATE` when the caller asks for the lock: held to the end
 * of its transaction, so a read-then-write of the row cannot interleave with another.
 */
export async function readRows<Rows>(query: Lockable<Rows>, options: { lock?: boolean } | undefined): Promise<Rows> {
  return options?.lock ? await query.for('update') : await query
}
