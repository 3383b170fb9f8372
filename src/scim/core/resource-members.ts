/**
 * Reading and writing resource members by attribute name. RFC 7643 §2.1 makes attribute names and
 * schema URNs case-insensitive (and RFC 7644 §3.4.2 list parameters are read the same way), so a
 * read finds any spelling (preferring the exact one) and a write leaves exactly one key, spelled
 * canonically. Callers only ever write names taken from the schema, never client-supplied keys, so
 * "__proto__" and friends cannot reach an assignment.
 */

export function findKey(object: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name
  const lower = name.toLowerCase()
  return Object.keys(object).find((key) => key.toLowerCase() === lower)
}

export function getMember(object: Record<string, unknown>, name: string): unknown {
  const key = findKey(object, name)
  return key === undefined ? undefined : object[key]
}

export function setMember(object: Record<string, unknown>, name: string, value: unknown): void {
  deleteMember(object, name)
  object[name] = value
}

export function deleteMember(object: Record<string, unknown>, name: string): void {
  const lower = name.toLowerCase()
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === lower) delete object[key]
  }
}
