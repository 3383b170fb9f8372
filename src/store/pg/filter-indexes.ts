import { valueConjuncts, type AttrPath, type CompareOp, type Filter } from '../../scim/filter/ast.js'
import { formatFilter } from '../../scim/filter/format.js'
import { comparedPath, pathKey, resolvePath } from '../../scim/core/attribute-path.js'
import type { SqlResource } from './filter-sql.js'

/**
 * Which part of a filter an index can serve, decided from the filter alone before any SQL runs.
 * On a large team a list must cost what its result costs: a filter no index can narrow
 * is refused, and one an index narrows to too many rows is refused after a bounded count. The
 * attribute tables (`indexes` in user-queries.ts) state the indexes of migrations 0000-0006;
 * filter-explain.test.ts proves each entry against PostgreSQL's and PGlite's plans, so a new index
 * means a new entry and a new EXPLAIN case.
 */

/** What the indexes on one attribute path (lower-case, `emails.value`) can do. */
export interface AttributeIndexes {
  /** eq through an index. `lookup`: a handful of rows whatever the team size (unique or nearly). */
  readonly eq?: 'lookup' | 'range'
  /** gt/ge/lt/le through a btree. */
  readonly ordered?: boolean
  /** sw of any length through a btree (a prefix is a range under the "C" collation). */
  readonly prefix?: boolean
  /** co/sw/ew of 3 or more characters through pg_trgm. */
  readonly trigram?: boolean
}

/** What the match budget reads of a resource type's attribute table (filter-sql.ts StoredAttribute). */
export type IndexedResource = Pick<SqlResource, 'view' | 'attributes' | 'counted'>

/** `sortBy` on an indexed path (or no sortBy: the list-order index). */
export function sortIndexed(path: AttrPath | undefined, resource: IndexedResource): boolean {
  if (!path) return true
  const key = pathOf(path, resource, false)
  return key !== undefined && resource.attributes[key]?.sortIndexed === true
}

/** What a refused filter can be narrowed with, from the attribute table: "Narrow it with eq on ..., or with co/sw/ew of 3 or more characters on ...". */
export function howToNarrow(resource: IndexedResource): string {
  const eq = namesWhere(resource, (indexes) => indexes?.eq === 'lookup')
  const trigram = namesWhere(resource, (indexes) => indexes?.trigram === true)
  return `Narrow it with eq on ${orList(eq)}, or with co/sw/ew of ${TRIGRAM_MIN} or more characters on ${orList(trigram)}`
}

/** The orders a large team can be listed in: "userName, displayName, ... or meta.lastModified". */
export function indexedSorts(resource: IndexedResource): string {
  return orList(
    Object.keys(resource.attributes)
      .filter((key) => resource.attributes[key]?.sortIndexed)
      .map((key) => schemaName(key, resource)),
  )
}

function namesWhere(resource: IndexedResource, test: (indexes: AttributeIndexes | undefined) => boolean): string[] {
  return Object.keys(resource.attributes)
    .filter((key) => test(resource.attributes[key]?.indexes))
    .map((key) => schemaName(key, resource))
}

/** A table key (`name.familyname`) as the schema spells it (`name.familyName`). */
function schemaName(key: string, resource: IndexedResource): string {
  const [attr = '', subAttr] = key.split('.')
  const named = resolvePath({ attr, subAttr }, resource.view)
  return named ? [named.attribute.name, named.sub?.name].filter(Boolean).join('.') : key
}

function orList(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`
}

/** pg_trgm looks terms up by their 3-character substrings; shorter ones would scan the index. */
export const TRIGRAM_MIN = 3

export type IndexedPart =
  /** Every branch is an eq lookup: a few rows, no budget needed. */
  | { readonly kind: 'lookup' }
  /** Answered from counters (a share of the team, but costing the same at any size). */
  | { readonly kind: 'counted' }
  /** `filter` (implied by the whole filter) is what the indexes narrow the rows to. */
  | { readonly kind: 'range'; readonly filter: Filter }
  /** No index can narrow `part`; `why` says what would. */
  | { readonly kind: 'none'; readonly part: string; readonly why: string }

export function indexedPart(filter: Filter, resource: IndexedResource): IndexedPart {
  if (resource.counted?.(filter)) return { kind: 'counted' }
  switch (filter.kind) {
    case 'and': {
      const left = indexedPart(filter.left, resource)
      const right = indexedPart(filter.right, resource)
      if (left.kind === 'lookup' || right.kind === 'lookup') return { kind: 'lookup' }
      if (left.kind === 'range' && right.kind === 'range')
        return { kind: 'range', filter: { kind: 'and', left: left.filter, right: right.filter } }
      if (left.kind === 'range') return left
      if (right.kind === 'range') return right
      // Counters count `active eq true`, not `active eq true and title co "x"`: that needs a narrowing side.
      if (left.kind === 'none') return left
      if (right.kind === 'none') return right
      return { kind: 'none', part: formatFilter(filter), why: 'counters serve each side alone, not both together' }
    }
    case 'or': {
      const left = indexedPart(filter.left, resource)
      const right = indexedPart(filter.right, resource)
      // Every branch must be narrowed, or the union is the whole team.
      if (left.kind === 'none') return left
      if (right.kind === 'none') return right
      if (left.kind === 'lookup' && right.kind === 'lookup') return { kind: 'lookup' }
      if (left.kind === 'counted' || right.kind === 'counted') {
        return { kind: 'none', part: formatFilter(filter), why: 'counters serve each side alone, not their union' }
      }
      return { kind: 'range', filter }
    }
    case 'not':
      return { kind: 'none', part: formatFilter(filter), why: '"not" matches everything its operand does not, which no index narrows' }
    case 'present':
      return { kind: 'none', part: formatFilter(filter), why: '"pr" matches nearly every user' }
    case 'compare':
      return compared(filter, pathOf(filter.path, resource, filter.value !== null), filter.op, filter.value, resource)
    case 'valuePath': {
      // attr[value op "x" and ...]: the index on attr.value narrows it when such a conjunct exists.
      const inner = valueConjuncts(filter.filter)
      const path = pathOf({ ...filter.path, subAttr: 'value' }, resource, false)
      const parts = inner.map((c) => compared(filter, path, c.op, c.value, resource))
      const best = parts.find((p) => p.kind === 'lookup') ?? parts.find((p) => p.kind === 'range')
      return best ?? { kind: 'none', part: formatFilter(filter), why: `only ${filter.path.attr}[value ...] is indexed` }
    }
  }
}

function compared(whole: Filter, path: string | undefined, op: CompareOp, value: unknown, resource: IndexedResource): IndexedPart {
  const part = formatFilter(whole)
  const indexes = path === undefined ? undefined : resource.attributes[path]?.indexes
  if (!indexes) return { kind: 'none', part, why: 'no index holds this attribute' }
  if (value === null || op === 'ne') return { kind: 'none', part, why: `"${op}${value === null ? ' null' : ''}" matches nearly every user` }
  const range: IndexedPart = { kind: 'range', filter: whole }
  switch (op) {
    case 'eq':
      return indexes.eq === 'lookup'
        ? { kind: 'lookup' }
        : indexes.eq === 'range'
          ? range
          : { kind: 'none', part, why: 'this attribute has no equality index' }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return indexes.ordered ? range : { kind: 'none', part, why: 'this attribute has no ordered index' }
    default: {
      if (op === 'sw' && indexes.prefix) return range
      if (!indexes.trigram) return { kind: 'none', part, why: `this attribute has no index for "${op}"` }
      if (typeof value === 'string' && [...value].length >= TRIGRAM_MIN) return range
      return { kind: 'none', part, why: `"${op}" needs a term of ${TRIGRAM_MIN} or more characters to use an index` }
    }
  }
}

/** The attribute table's key of the path a comparison reads (`emails` compares `emails.value`); undefined for extension attributes. */
function pathOf(path: AttrPath, resource: IndexedResource, compareValue: boolean): string | undefined {
  const named = resolvePath(path, resource.view)
  if (!named) return undefined
  return pathKey(compareValue ? comparedPath(named) : named)
}
