/**
 * Prints filter syntax trees back to RFC 7644 §3.4.2.2 text, for logs and error messages.
 * `parseFilter(formatFilter(f))` gives back `f`: parentheses are added exactly where precedence or
 * left-associativity needs them.
 */
import type { AttrPath, CompValue, Filter, PatchPath } from './ast.js'

/** RFC 7644 §3.10 attribute path; a bare schema URN (PATCH, `attr: ''`) prints as the URN alone. */
export function formatAttrPath(path: AttrPath): string {
  const name = path.urn === undefined ? path.attr : path.attr === '' ? path.urn : `${path.urn}:${path.attr}`
  return path.subAttr === undefined ? name : `${name}.${path.subAttr}`
}

export function formatFilter(filter: Filter): string {
  switch (filter.kind) {
    case 'compare':
      return `${formatAttrPath(filter.path)} ${filter.op} ${formatValue(filter.value)}`
    case 'present':
      return `${formatAttrPath(filter.path)} pr`
    case 'not':
      return `not (${formatFilter(filter.filter)})`
    case 'valuePath':
      return `${formatAttrPath(filter.path)}[${formatFilter(filter.filter)}]`
    case 'and':
    case 'or':
      return `${operand(filter.left, filter.kind, false)} ${filter.kind} ${operand(filter.right, filter.kind, true)}`
  }
}

/** RFC 7644 §3.5.2 PATCH path. */
export function formatPatchPath(path: PatchPath): string {
  const attr = formatAttrPath(path.path)
  if (path.valueFilter === undefined) return attr
  const filtered = `${attr}[${formatFilter(path.valueFilter)}]`
  return path.subAttr === undefined ? filtered : `${filtered}.${path.subAttr}`
}

function formatValue(value: CompValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  // String(-0) is "0", which would not read back as -0.
  if (typeof value === 'number' && Object.is(value, -0)) return '-0'
  return String(value)
}

function precedence(filter: Filter): number {
  return filter.kind === 'or' ? 1 : filter.kind === 'and' ? 2 : 3
}

/** and/or are left-associative, so a right operand of the same precedence needs parentheses. */
function operand(filter: Filter, parent: 'and' | 'or', right: boolean): string {
  const inner = precedence(filter)
  const outer = parent === 'or' ? 1 : 2
  const text = formatFilter(filter)
  return inner < outer || (right && inner === outer) ? `(${text})` : text
}
