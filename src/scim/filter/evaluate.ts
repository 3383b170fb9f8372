/**
 * In-memory evaluation of RFC 7644 §3.4.2.2 filters: PATCH value paths within one resource, and the
 * reference semantics that the SQL compiler must reproduce exactly. The rules:
 *
 * - Resolution: scim/core/attribute-path.ts, as everywhere: names match the schema case-insensitively
 *   (RFC 7643 §2.1). No URN, or the core schema URN: common attributes (id, externalId, meta), then the
 *   core schema. An extension URN reads `resource[<urn>]`. Resource keys are matched case-insensitively
 *   too (scim/core/resource-members.ts). Anything not in the schema
 *   throws invalidFilter `Unknown attribute "x" in filter`; the whole filter is checked against the
 *   schema before any data is read, so errors never depend on the resource or on short-circuiting.
 * - Values of a path: single-valued -> the value; multi-valued -> its elements; `a.b` on a
 *   multi-valued `a` -> the `b` of every element. null/undefined values are dropped (absent).
 * - Comparisons (eq co sw ew gt ge lt le) are true when ANY value satisfies them, so absent -> false.
 *   `ne` is exactly `not eq`: true when absent, and on multi-valued true when NO value equals.
 * - `pr`: some value is present, where present means not null, not "", and for arrays/objects at
 *   least one present member (so [], {} and {"value": null} are absent). `eq null` = `not pr`,
 *   `ne null` = `pr`; null works with eq/ne only.
 * - string/reference/binary: the value must be a JSON string. caseExact false -> both sides
 *   ASCII-folded (scim/core/case-fold.ts; no accent folding: "alíce" is not "alice"). co/sw/ew are substring
 *   tests; gt/ge/lt/le compare code points, as PostgreSQL's "C" collation does (not UTF-16 code
 *   units, which put U+E000-U+FFFF after emoji). gt/ge/lt/le on binary -> invalidFilter (RFC).
 * - boolean: eq/ne with true/false only. integer/decimal: a JSON number; no co/sw/ew.
 * - dateTime: the value must be an RFC 3339 string with a time zone; compared as instants at
 *   millisecond precision; no co/sw/ew. Stored values that do not parse never match.
 * - Complex without a sub-attribute: pr and eq/ne null only, except that a multi-valued complex
 *   attribute with a `value` sub-attribute compares its `value` (`emails eq "x"` = `emails.value eq "x"`).
 * - `attr[filter]`: true when ONE element satisfies the whole bracket filter. A value of the wrong
 *   JSON type for the attribute, or an operator the type lacks -> invalidFilter; so is a string value
 *   holding U+0000 or an unpaired surrogate, which no stored value can hold.
 */
import type { AttributeDefinition } from '../core/attribute.js'
import { resolvePath, resolveSubAttribute } from '../core/attribute-path.js'
import { foldCase } from '../core/case-fold.js'
import { UNSTORABLE } from '../core/unstorable.js'
import { getMember } from '../core/resource-members.js'
import type { ResourceSchemaView } from '../core/resource-input.js'
import { ScimError } from '../protocol/scim-error.js'
import type { AttrPath, CompValue, CompareOp, Filter } from './ast.js'
import { formatAttrPath } from './format.js'

export type { ResourceSchemaView }

type JsonObject = Record<string, unknown>
type Predicate = (container: JsonObject) => boolean

/** A path resolved against the schema, with how to read its values from a resource or element. */
interface ResolvedPath {
  readonly label: string
  readonly attribute: AttributeDefinition
  readonly values: (container: JsonObject) => unknown[]
}

interface Scope {
  resolve(path: AttrPath): ResolvedPath
  /** Set inside `attr[...]`, where paths name sub-attributes of `parent`. */
  readonly parent?: AttributeDefinition
}

/** Checks the filter against the schema once and returns a predicate to run on many resources. */
export function compileFilter(filter: Filter, schema: ResourceSchemaView): (resource: JsonObject) => boolean {
  return compile(filter, resourceScope(schema))
}

export function matchesFilter(resource: JsonObject, filter: Filter, schema: ResourceSchemaView): boolean {
  return compileFilter(filter, schema)(resource)
}

/** Evaluates the filter of `attribute[filter]` against one element of that attribute (PATCH, RFC 7644 §3.5.2). */
export function matchesValueFilter(value: unknown, filter: Filter, attribute: AttributeDefinition): boolean {
  if (attribute.type !== 'complex') invalid(`"${attribute.name}" is not a complex attribute and cannot take a "[...]" filter`)
  const predicate = compile(filter, valueScope(attribute))
  return isRecord(value) && predicate(value)
}

function compile(filter: Filter, scope: Scope): Predicate {
  switch (filter.kind) {
    case 'and': {
      const left = compile(filter.left, scope)
      const right = compile(filter.right, scope)
      return (c) => left(c) && right(c)
    }
    case 'or': {
      const left = compile(filter.left, scope)
      const right = compile(filter.right, scope)
      return (c) => left(c) || right(c)
    }
    case 'not': {
      const inner = compile(filter.filter, scope)
      return (c) => !inner(c)
    }
    case 'present': {
      const target = scope.resolve(filter.path)
      return (c) => target.values(c).some(isPresent)
    }
    case 'compare':
      return compileComparison(filter.path, filter.op, filter.value, scope)
    case 'valuePath': {
      if (scope.parent) invalid(`a filter inside "${scope.parent.name}[...]" cannot contain another "[...]"`)
      const target = scope.resolve(filter.path)
      if (filter.path.subAttr !== undefined || target.attribute.type !== 'complex') {
        invalid(`"[...]" needs a complex attribute, and "${target.label}" is not one`)
      }
      const inner = compile(filter.filter, valueScope(target.attribute))
      return (c) => target.values(c).some((element) => isRecord(element) && inner(element))
    }
  }
}

function compileComparison(path: AttrPath, op: CompareOp, value: CompValue, scope: Scope): Predicate {
  let target = scope.resolve(path)
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') invalid(`operator "${op}" cannot take null; use "eq null", "ne null" or "pr"`)
    const present = (c: JsonObject): boolean => target.values(c).some(isPresent)
    return op === 'eq' ? (c) => !present(c) : present
  }
  if (target.attribute.type === 'complex') {
    const { attribute, label } = target
    if (!attribute.multiValued || !resolveSubAttribute(attribute, 'value')) {
      invalid(
        `"${label}" is a complex attribute: compare one of its sub-attributes (e.g. ${label}.${attribute.subAttributes?.[0]?.name}) or use "pr"`,
      )
    }
    target = scope.resolve({ ...path, subAttr: 'value' })
  }
  const matches = valueMatcher(target, op === 'ne' ? 'eq' : op, value)
  return op === 'ne' ? (c) => !target.values(c).some(matches) : (c) => target.values(c).some(matches)
}

type Ordering = 'eq' | 'gt' | 'ge' | 'lt' | 'le'

/** The test one value must pass; `op` is never "ne" (the caller negates "eq"). */
function valueMatcher(
  { attribute, label }: ResolvedPath,
  op: Exclude<CompareOp, 'ne'>,
  value: string | number | boolean,
): (v: unknown) => boolean {
  const substring = op === 'co' || op === 'sw' || op === 'ew'
  const unsupported = (): never => invalid(`operator "${op}" is not supported for ${attribute.type} attribute "${label}"`)
  const wrongType = (expected: string): never =>
    invalid(
      `"${label}" is ${/^[aeiou]/.test(attribute.type) ? 'an' : 'a'} ${attribute.type} attribute and needs ${expected}, found ${JSON.stringify(value)}`,
    )
  switch (attribute.type) {
    case 'boolean':
      if (op !== 'eq') unsupported()
      if (typeof value !== 'boolean') wrongType('true or false')
      return (v) => v === value
    case 'integer':
    case 'decimal': {
      if (substring) unsupported()
      if (typeof value !== 'number') return wrongType('a number')
      return (v) => typeof v === 'number' && ordered(op as Ordering, v, value)
    }
    case 'dateTime': {
      if (substring) unsupported()
      if (typeof value !== 'string') return wrongType('a quoted date-time such as "2024-01-31T12:00:00Z"')
      const wanted = parseDateTime(value, label)
      return (v) => {
        const actual = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN
        return !Number.isNaN(actual) && ordered(op as Ordering, actual, wanted)
      }
    }
    case 'string':
    case 'reference':
    case 'binary': {
      if (attribute.type === 'binary' && !substring && op !== 'eq') unsupported()
      if (typeof value !== 'string') return wrongType('a quoted string')
      // Refused here so that the SQL compiler, which validates through this evaluator, never sends it either.
      if (UNSTORABLE.test(value)) invalid(`"${label}" cannot be compared with a string containing U+0000 or an unpaired surrogate`)
      const fold = attribute.caseExact ? (s: string) => s : foldCase
      const wanted = fold(value)
      if (op === 'co') return (v) => typeof v === 'string' && fold(v).includes(wanted)
      if (op === 'sw') return (v) => typeof v === 'string' && fold(v).startsWith(wanted)
      if (op === 'ew') return (v) => typeof v === 'string' && fold(v).endsWith(wanted)
      return (v) => typeof v === 'string' && ordered(op, compareCodePoints(fold(v), wanted), 0)
    }
    case 'complex':
      return invalid(`"${label}" is a complex attribute: compare one of its sub-attributes`)
  }
}

function ordered<T extends string | number>(op: Ordering, actual: T, wanted: T): boolean {
  switch (op) {
    case 'eq':
      return actual === wanted
    case 'gt':
      return actual > wanted
    case 'ge':
      return actual >= wanted
    case 'lt':
      return actual < wanted
    case 'le':
      return actual <= wanted
  }
}

/**
 * Orders strings by code point. JavaScript's < compares UTF-16 code units, which sorts U+E000-U+FFFF
 * after the surrogate pairs of U+10000 and above; moving those two ranges past each other at the
 * first difference gives code point order (the fix-up ICU's u_strCmpCodePointOrder makes).
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  return unit >= 0xe000 ? unit - 0x800 : unit
}

/** RFC 3339 §5.6 date-time; a time zone is required because a local time names no instant. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

function parseDateTime(value: string, label: string): number {
  const match = DATE_TIME.exec(value)
  const instant = Date.parse(value)
  // Date.parse rolls 2024-02-30 over to March; PostgreSQL rejects it, and so do we.
  const [year, month, day] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])]
  if (!match || Number.isNaN(instant) || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) {
    invalid(`"${value}" is not a valid dateTime for "${label}"; use RFC 3339 with a time zone, e.g. "2024-01-31T12:00:00Z"`)
  }
  return instant
}

function resourceScope(schema: ResourceSchemaView): Scope {
  return {
    resolve(path) {
      const label = formatAttrPath(path)
      const { extension, attribute, sub } = resolvePath(path, schema) ?? unknownAttribute(label)
      const container = extension ? (resource: JsonObject) => member(resource, extension.id) : (resource: JsonObject) => resource
      const read = (resource: JsonObject): unknown[] => valuesOf(member(container(resource), attribute.name), attribute)
      if (!sub) return { label, attribute, values: read }
      return { label, attribute: sub, values: (resource) => read(resource).flatMap((e) => valuesOf(member(e, sub.name), sub)) }
    },
  }
}

function valueScope(parent: AttributeDefinition): Scope {
  return {
    parent,
    resolve(path) {
      const label = `${parent.name}.${formatAttrPath(path)}`
      if (path.urn !== undefined || path.subAttr !== undefined) {
        invalid(`inside "${parent.name}[...]" name a sub-attribute of "${parent.name}" alone, found "${formatAttrPath(path)}"`)
      }
      const attribute = resolveSubAttribute(parent, path.attr) ?? unknownAttribute(label)
      return { label, attribute, values: (element) => valuesOf(member(element, attribute.name), attribute) }
    },
  }
}

function valuesOf(value: unknown, attribute: AttributeDefinition): unknown[] {
  if (value === null || value === undefined) return []
  if (attribute.multiValued && Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined)
  return [value]
}

/** A member of a JSON object, by a name matched case-insensitively (resource-members.ts). */
function member(object: unknown, name: string): unknown {
  return isRecord(object) ? getMember(object, name) : undefined
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false
  if (Array.isArray(value)) return value.some(isPresent)
  if (isRecord(value)) return Object.values(value).some(isPresent)
  return true
}

function isRecord(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function unknownAttribute(label: string): never {
  throw ScimError.badRequest('invalidFilter', `Unknown attribute "${label}" in filter`)
}

function invalid(detail: string): never {
  throw ScimError.badRequest('invalidFilter', `Invalid filter: ${detail}`)
}
