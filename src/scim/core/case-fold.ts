/**
 * Case-insensitive comparison for attributes whose caseExact is false (RFC 7643 §2.2), defined as
 * ASCII case folding. PostgreSQL's lower() under the "C" collation folds exactly the same letters
 * on every cluster and in PGlite, so the in-memory filter, the SQL compiler and the unique indexes
 * agree character for character whatever the database's locale. Accents are never folded:
 * "alíce" and "alice" are different userNames.
 */
export function foldCase(value: string): string {
  return value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())
}
