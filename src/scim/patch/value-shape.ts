/**
 * Shape guards for client values. A SCIM value is at most three levels deep (no-path object ->
 * multi-valued list -> element), so anything much deeper is refused before code that recurses
 * (JSON.stringify, the filter evaluator's presence test) can overflow the stack on it; and no object
 * in it has more members than MAX_OBJECT_KEYS, so applying it costs at most that many lookups per object.
 */
import { isObject } from '../core/resource-input.js'
import { MAX_OBJECT_KEYS, MAX_VALUE_DEPTH } from '../limits.js'
import { ScimError } from '../protocol/scim-error.js'

/** Iterative, so a 100 000-level value costs a loop, not a RangeError. */
export function assertShallow(value: unknown, maxDepth: number = MAX_VALUE_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth >= maxDepth) {
      throw ScimError.badRequest('invalidValue', `"value" is nested deeper than ${maxDepth} levels; no SCIM attribute is`)
    }
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current)
    if (!Array.isArray(current) && children.length > MAX_OBJECT_KEYS) {
      throw ScimError.badRequest(
        'invalidValue',
        `"value" holds an object of more than ${MAX_OBJECT_KEYS} members, more than any SCIM resource has attributes`,
      )
    }
    for (const child of children) stack.push([child, depth + 1])
  }
}

/** For error details: what the client sent, without echoing it. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (isObject(value)) return 'an object'
  return `a ${typeof value}`
}

/** JSON.stringify that answers undefined instead of throwing (cycles, BigInt, stack depth). */
export function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

/** Keeps details readable when a client sends a megabyte of path. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
