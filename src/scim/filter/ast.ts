/**
 * RFC 7644 §3.4.2.2 filter syntax tree. Attribute paths are kept as written (the compilers resolve
 * them against the attribute allowlist, case-insensitively).
 */

/** An attribute path: optional schema URN, attribute name, optional sub-attribute (RFC 7644 §3.10). */
export interface AttrPath {
  /** e.g. "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", as written; undefined if absent. */
  readonly urn?: string
  readonly attr: string
  readonly subAttr?: string
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'

/** JSON literal values allowed by the grammar: strings, numbers, true, false, null. */
export type CompValue = string | number | boolean | null

export type Filter =
  | { readonly kind: 'compare'; readonly path: AttrPath; readonly op: CompareOp; readonly value: CompValue }
  | { readonly kind: 'present'; readonly path: AttrPath }
  | { readonly kind: 'and'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly filter: Filter }
  /** `emails[type eq "work"]`: `filter` applies to each value of the multi-valued `path` (no subAttr). */
  | { readonly kind: 'valuePath'; readonly path: AttrPath; readonly filter: Filter }

export type Comparison = Extract<Filter, { kind: 'compare' }>

/**
 * The `value op x` comparisons joined by `and` at the top of a `[...]` filter: each must hold for
 * the element that matches, so an index on `attr.value` can narrow the rows before the exact test.
 */
export function valueConjuncts(filter: Filter): Comparison[] {
  if (filter.kind === 'and') return [...valueConjuncts(filter.left), ...valueConjuncts(filter.right)]
  if (filter.kind === 'compare' && !filter.path.urn && !filter.path.subAttr && filter.path.attr.toLowerCase() === 'value') return [filter]
  return []
}

/**
 * A PATCH path (RFC 7644 §3.5.2): attrPath, or valuePath with an optional sub-attribute after it,
 * e.g. `emails[type eq "work"].value`.
 */
export interface PatchPath {
  readonly path: AttrPath
  readonly valueFilter?: Filter
  /** Sub-attribute following a value filter: `emails[...].value` -> "value". */
  readonly subAttr?: string
}

/** Comparisons (and presence tests) in a filter: what parsing it, and matching a value against it, cost. */
export function filterComparisons(filter: Filter): number {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return filterComparisons(filter.left) + filterComparisons(filter.right)
    case 'not':
    case 'valuePath':
      return filterComparisons(filter.filter)
    default:
      return 1
  }
}
