/**
 * RFC 7644 §3.4.2.4 index paging with an exact totalResults, counting only when the page cannot
 * tell. A page that starts at 1 and comes back short IS the whole result, so eq lookups (Okta's
 * check before every create, Entra's lookups) never pay for a count.
 */
export async function pageWithTotal<T>(
  startIndex: number,
  count: number,
  page: (limit: number, offset: number) => Promise<T[]>,
  total: () => Promise<number>,
  /**
   * False when the page continued after a remembered key (page-keys.ts) instead of an OFFSET: rows
   * before it may have come or gone since, so a short page does not tell the total.
   */
  positioned: () => boolean = () => true,
): Promise<{ totalResults: number; rows: T[] }> {
  // No table holds 2^53 rows, and OFFSET past 2^63 is an error ("out of range for type bigint"):
  // such a page is empty without asking (list-request.ts clamps startIndex to this already).
  if (count === 0 || !Number.isSafeInteger(startIndex)) return { totalResults: await total(), rows: [] }
  const rows = await page(count, startIndex - 1)
  if (rows.length > 0 && rows.length < count && positioned()) return { totalResults: startIndex - 1 + rows.length, rows }
  if (rows.length === 0 && startIndex === 1) return { totalResults: 0, rows }
  return { totalResults: await total(), rows }
}
