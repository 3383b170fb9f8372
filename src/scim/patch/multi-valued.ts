/**
 * Multi-valued attribute rules (RFC 7643 §2.4, RFC 7644 §3.5.2): element identity for duplicate
 * detection, building an element from a value filter, and "at most one primary".
 */
import { findAttribute, type AttributeDefinition } from '../core/attribute.js'
import { foldCase } from '../core/case-fold.js'
import { isObject, isUnassigned } from '../core/resource-input.js'
import type { Filter } from '../filter/ast.js'
import { booleanValue } from '../core/string-boolean.js'
import { isTrue } from './dialects.js'
import { getMember, setMember } from '../core/resource-members.js'
import { safeStringify } from './value-shape.js'

type Json = Record<string, unknown>

/** Sub-attributes that describe an entry rather than being its content. */
const QUALIFIERS = new Set(['type', 'primary', 'display'])

/** A copy with known sub-attributes under their canonical names; unknown ones are dropped (normalizeResource would drop them too). */
export function canonicalElement(element: Json, attribute: AttributeDefinition): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(element)) {
    const sub = findAttribute(attribute.subAttributes, key)
    if (sub) out[sub.name] = value
  }
  return out
}

/**
 * When two elements are "the same value" for add (no duplicates) and remove-by-value: elements with a
 * `value` compare it (folded unless caseExact) plus `type`; others compare every sub-attribute.
 * Undefined means "equal to nothing" (the value cannot be serialised).
 */
export function identityKey(element: unknown, attribute: AttributeDefinition): string | undefined {
  if (attribute.type !== 'complex' || !isObject(element)) return scalarKey(element, attribute)
  const valueSub = findAttribute(attribute.subAttributes, 'value')
  const value = valueSub ? getMember(element, valueSub.name) : undefined
  if (valueSub && value !== undefined && value !== null) {
    const typeSub = findAttribute(attribute.subAttributes, 'type')
    const type = typeSub ? getMember(element, typeSub.name) : undefined
    const typeKey = typeSub && type !== undefined && type !== null ? scalarKey(type, typeSub) : ''
    return `${scalarKey(value, valueSub)}|${typeKey}`
  }
  const parts: [string, string | undefined][] = []
  for (const [key, sub] of Object.entries(element)) {
    const definition = findAttribute(attribute.subAttributes, key)
    if (!definition || sub === undefined || sub === null) continue
    parts.push([definition.name, scalarKey(sub, definition)])
  }
  if (parts.some(([, key]) => key === undefined)) return undefined
  parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return safeStringify(parts)
}

/** One attribute value as a comparable string: ASCII case folded unless caseExact (RFC 7643 §2.2), "True" read as true for booleans. */
export function scalarKey(value: unknown, definition: AttributeDefinition): string | undefined {
  if (typeof value === 'string') {
    if (definition.type === 'boolean') {
      const parsed = booleanValue(value)
      if (parsed !== undefined) return `b:${parsed}`
    }
    // The same folding as filters and the unique indexes (case-fold.ts): ALÍCE and alíce stay two addresses.
    return `s:${definition.caseExact ? value : foldCase(value)}`
  }
  if (typeof value === 'boolean') return `b:${value}`
  const json = safeStringify(value)
  return json === undefined ? undefined : `j:${json}`
}

/**
 * The element a filter describes, for add/replace through a filter that matches nothing: Microsoft
 * Entra ID sends `replace emails[type eq "work"].value` to users without a work email and expects one
 * (test "Entra creates the work email"). Only eq comparisons joined by "and" say what to create;
 * anything else (or, ne, contradicting eqs) yields undefined.
 */
export function seedFromFilter(filter: Filter, attribute: AttributeDefinition): Json | undefined {
  const seed: Json = {}
  const collect = (f: Filter): boolean => {
    if (f.kind === 'and') return collect(f.left) && collect(f.right)
    if (f.kind !== 'compare' || f.op !== 'eq' || f.value === null || f.path.urn !== undefined || f.path.subAttr !== undefined) return false
    const sub = findAttribute(attribute.subAttributes, f.path.attr)
    if (!sub) return false
    const existing = seed[sub.name]
    if (existing !== undefined && scalarKey(existing, sub) !== scalarKey(f.value, sub)) return false
    seed[sub.name] = f.value
    return true
  }
  return collect(filter) ? seed : undefined
}

/** After a sub-attribute was removed: an email without its address, or an entry left with only type/primary, is no entry. */
export function isVacant(element: Json, attribute: AttributeDefinition): boolean {
  const valueSub = findAttribute(attribute.subAttributes, 'value')
  if (valueSub && isUnassigned(getMember(element, valueSub.name))) return true
  return Object.entries(element).every(([key, value]) => isUnassigned(value) || QUALIFIERS.has(key.toLowerCase()))
}

/**
 * RFC 7643 §2.4: "primary" true appears at most once. When an operation leaves several, the element it
 * wrote last wins and the others get false: setting a new primary email demotes the old one.
 */
export function keepOnePrimary(list: unknown, attribute: AttributeDefinition, written: readonly Json[]): void {
  const primarySub = findAttribute(attribute.subAttributes, 'primary')
  if (!primarySub || !Array.isArray(list)) return
  const primaries = list.filter((e): e is Json => isObject(e) && isTrue(getMember(e, primarySub.name)))
  if (primaries.length < 2) return
  const winner = [...written].reverse().find((e) => primaries.includes(e)) ?? primaries[primaries.length - 1]
  for (const element of primaries) {
    if (element !== winner) setMember(element, primarySub.name, false)
  }
}
