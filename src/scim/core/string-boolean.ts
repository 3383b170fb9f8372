/**
 * Microsoft Entra ID sends booleans as "True"/"False" strings (test/http/users.test.ts "string
 * booleans", test/unit/patch-dialects.test.ts "Entra string booleans"): true, false, and those two
 * words in any case and with surrounding blanks read as booleans; anything else is not one (undefined).
 */
export function booleanValue(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (typeof value !== 'string') return undefined
  const lower = value.trim().toLowerCase()
  return lower === 'true' ? true : lower === 'false' ? false : undefined
}
