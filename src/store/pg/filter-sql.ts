import { sql, type SQL } from 'drizzle-orm'
import { caseFolded } from './case-folded.js'
import type { AttributeDefinition } from '../../scim/core/attribute.js'
import { comparedPath, pathKey, resolvePath, resolveSubAttribute, type ResolvedAttributePath } from '../../scim/core/attribute-path.js'
import { isCanonicalUuid } from '../../scim/core/uuid.js'
import type { AttributeIndexes } from './filter-indexes.js'
import { foldCase } from '../../scim/core/case-fold.js'
import type { ResourceSchemaView } from '../../scim/core/resource-input.js'
import { valueConjuncts, type AttrPath, type CompValue, type CompareOp, type Filter } from '../../scim/filter/ast.js'
import { compileFilter } from '../../scim/filter/evaluate.js'
import { formatAttrPath } from '../../scim/filter/format.js'
import { ScimError } from '../../scim/protocol/scim-error.js'

/**
 * RFC 7644 §3.4.2.2 filter AST -> one parameterised SQL condition, mirroring the in-memory
 * predicate of scim/filter/evaluate.ts rule for rule (the differential test holds them to it):
 * comparisons are true when ANY value satisfies them (so an absent value never matches), `ne` is
 * `not eq`, `pr` means a value other than "" is stored (normalizeResource drops null, [] and {},
 * but keeps ""), and
 * `[...]` needs one element to satisfy the whole bracket. Every leaf is two-valued (never NULL), so
 * `not` in SQL means what it means in JavaScript. Only bound parameters reach SQL; attribute names
 * come from the allowlist (the schema), never from the filter text.
 */

/** A column that holds an attribute outside the jsonb document (for indexes and constraints). */
export interface ColumnAttribute {
  readonly column: SQL
  /** The column is NOT NULL: presence is a given. */
  readonly notNull: boolean
  /** A uuid column: compared as text unless the value is a canonical lower-case UUID. */
  readonly uuid?: boolean
}

/**
 * How the store keeps one attribute path and what serves it in a filter or an order. A path of the
 * schema with no entry is read from the jsonb document, with no index; `meta` paths with no entry,
 * and sub-attributes of `rows` that the rows do not hold, cannot be filtered on.
 */
export interface StoredAttribute {
  /** Kept in a column of the resource's table. */
  readonly column?: ColumnAttribute
  /** The same for every resource of the type (meta.resourceType). */
  readonly constant?: string
  /**
   * An indexed text[] expression holding every ASCII-folded value of a multi-valued sub-attribute
   * (`emails.value` -> scim_email_values(doc), migration 0003): an `eq` on it is then checked
   * against the index first, and exactly by the EXISTS that follows.
   */
  readonly valuesArray?: SQL
  /**
   * Trigram-indexed text holding every ASCII-folded value of a multi-valued sub-attribute, one per
   * line (`emails.value` -> scim_email_text(doc), migration 0006): a value that contains, starts or
   * ends with a term makes the text contain it, so co/sw/ew are narrowed by the index first.
   */
  readonly valuesText?: SQL
  /** A multi-valued attribute kept as rows of another table (Group members, a User's groups). */
  readonly rows?: RelationAttribute
  /** What the indexes on the path can do for a filter (filter-indexes.ts; each has an EXPLAIN case in filter-explain.test.ts). */
  readonly indexes?: AttributeIndexes
  /** A list can be ordered by the path along an index: a page reads its rows, not the team. */
  readonly sortIndexed?: boolean
}

/** A resource type as filters, orders and the match budget see its storage. */
export interface SqlResource {
  readonly view: ResourceSchemaView
  /** The jsonb document column. */
  readonly doc: SQL
  /** Per attribute path, lower case as `pathKey` writes it (`meta.created`, `emails.value`). */
  readonly attributes: Readonly<Record<string, StoredAttribute>>
  /**
   * Filters answered from per-team counters and paged along the list-order index (`active eq
   * true`): their cost does not depend on how many users match.
   */
  readonly counted?: (filter: Filter) => boolean
}

/** A multi-valued attribute kept in rows: `exists` wraps a condition on one row in an EXISTS subquery. */
export interface RelationAttribute {
  readonly exists: (condition: SQL) => SQL
  /** Filterable sub-attributes (lower-case name) -> their text expression on the row. */
  readonly subAttributes: Readonly<Record<string, SQL>>
}

export function filterToSql(filter: Filter, resource: SqlResource): SQL {
  // The in-memory compiler validates names, types and operators: both paths reject the same filters.
  compileFilter(filter, resource.view)
  return compile(filter, resource, undefined)
}

/** Inside `attr[...]`: the alias of the element being tested and its attribute (or its relation rows). */
interface ElementScope {
  readonly element: SQL
  readonly attribute: AttributeDefinition
  readonly relation?: RelationAttribute
}

function compile(filter: Filter, resource: SqlResource, scope: ElementScope | undefined): SQL {
  switch (filter.kind) {
    case 'and':
      return sql`(${compile(filter.left, resource, scope)} and ${compile(filter.right, resource, scope)})`
    case 'or':
      return sql`(${compile(filter.left, resource, scope)} or ${compile(filter.right, resource, scope)})`
    case 'not':
      return sql`(not ${compile(filter.filter, resource, scope)})`
    case 'present':
      return present(target(filter.path, resource, scope, false))
    case 'compare':
      return comparison(target(filter.path, resource, scope, filter.value !== null), filter.op, filter.value, resource)
    case 'valuePath': {
      const t = target(filter.path, resource, undefined, false)
      if (t.kind === 'relation') {
        return t.relation.exists(compile(filter.filter, resource, { element: sql``, attribute: t.attribute, relation: t.relation }))
      }
      if (t.kind !== 'json') throw notFilterable(t.label)
      const element = sql.raw('scim_el')
      const inner = compile(filter.filter, resource, { element, attribute: t.attribute })
      const exists = sql`exists (select 1 from jsonb_array_elements(${elementsOf(t.json)}) as scim_el where ${inner})`
      const value = resolveSubAttribute(t.attribute, 'value')
      // The same choice filter-indexes.ts makes: an eq (the values array) before a substring (trigrams).
      const terms =
        value && !value.caseExact
          ? valueConjuncts(filter.filter).filter((c) => typeof c.value === 'string' && ['eq', 'co', 'sw', 'ew'].includes(c.op))
          : []
      const narrowed = terms.find((c) => c.op === 'eq') ?? terms[0]
      const stored = value && resource.attributes[`${t.attribute.name}.${value.name}`.toLowerCase()]
      const index = narrowed && indexedValues(stored, narrowed.op, narrowed.value as string)
      return index ? sql`(${index} and ${exists})` : exists
    }
  }
}

/** Where the values of a path live. */
type SqlOperand =
  | { kind: 'column'; label: string; attribute: AttributeDefinition; column: ColumnAttribute }
  | { kind: 'constant'; label: string; attribute: AttributeDefinition; value: string }
  /** A single value at a jsonb expression. */
  | { kind: 'json'; label: string; attribute: AttributeDefinition; json: SQL }
  /** The `sub` of every element of the multi-valued attribute at `array`; `stored` says which indexes hold them. */
  | { kind: 'elements'; label: string; attribute: AttributeDefinition; array: SQL; sub: string; stored: StoredAttribute | undefined }
  /** A sub-attribute of rows in another table; `attribute` is the parent when `sub` is undefined. */
  | { kind: 'relation'; label: string; attribute: AttributeDefinition; relation: RelationAttribute; sub?: SQL }
  /** A single text value of one relation row (inside `members[...]`). */
  | { kind: 'row'; label: string; attribute: AttributeDefinition; value: SQL }

/** `compareValue`: a non-null comparison, where `emails` stands for `emails.value`. */
function target(path: AttrPath, resource: SqlResource, scope: ElementScope | undefined, compareValue: boolean): SqlOperand {
  const label = formatAttrPath(path)
  if (scope?.relation) {
    const attribute = resolveSubAttribute(scope.attribute, path.attr)!
    const value = scope.relation.subAttributes[attribute.name.toLowerCase()]
    if (!value) throw notFilterable(`${scope.attribute.name}.${attribute.name}`)
    return { kind: 'row', label, attribute, value }
  }
  if (scope) {
    const attribute = resolveSubAttribute(scope.attribute, path.attr)!
    return { kind: 'json', label, attribute, json: sql`(${scope.element} -> ${jsonKey(attribute.name)})` }
  }
  // Validated by the in-memory compiler first (filterToSql, sortToSql): the path is in the schema.
  const named = resolvePath(path, resource.view)!
  const { extension, attribute } = named
  const { sub } = compareValue ? comparedPath(named) : named
  const stored = (resolved: ResolvedAttributePath) => {
    const key = pathKey(resolved)
    return key === undefined ? undefined : resource.attributes[key]
  }

  const relation = stored({ extension, attribute })?.rows
  if (relation) {
    if (!sub) return { kind: 'relation', label, attribute, relation }
    const value = relation.subAttributes[sub.name.toLowerCase()]
    if (!value) throw notFilterable(label)
    return { kind: 'relation', label, attribute: sub, relation, sub: value }
  }

  // Columns and constants hold the path as named: `emails eq` is not `emails.value` there.
  const own = stored(named)
  if (own?.column) return { kind: 'column', label, attribute: named.sub ?? attribute, column: own.column }
  if (own?.constant !== undefined) return { kind: 'constant', label, attribute: sub ?? attribute, value: own.constant }
  if (!extension && attribute.name === 'meta') throw notFilterable(label)

  const top = extension
    ? sql`(${resource.doc} -> ${jsonKey(extension.id)} -> ${jsonKey(attribute.name)})`
    : sql`(${resource.doc} -> ${jsonKey(attribute.name)})`
  if (attribute.multiValued) {
    if (path.subAttr === undefined && attribute.type === 'complex' && !sub) return { kind: 'json', label, attribute, json: top }
    if (path.subAttr === undefined && attribute.type !== 'complex') throw notFilterable(label)
    return { kind: 'elements', label, attribute: sub!, array: top, sub: sub!.name, stored: stored({ extension, attribute, sub: sub! }) }
  }
  if (sub) return { kind: 'json', label, attribute: sub, json: sql`(${top} -> ${jsonKey(sub.name)})` }
  return { kind: 'json', label, attribute, json: top }
}

function present(t: SqlOperand): SQL {
  switch (t.kind) {
    case 'column': {
      const { column, notNull } = t.column
      if (notNull) return sql`true`
      return t.attribute.type === 'string' ? sql`(${column} is not null and ${column} <> '')` : sql`(${column} is not null)`
    }
    case 'constant':
      return sql`true`
    case 'json':
      return presentJson(t.json, t.attribute)
    case 'elements':
      return sql`exists (select 1 from jsonb_array_elements(${arrayOf(t.array)}) as scim_pr where ${presentJson(sql`(scim_pr -> ${jsonKey(t.sub)})`, t.attribute)})`
    case 'relation':
      return t.relation.exists(sql`true`)
    case 'row':
      return sql`(${t.value} is not null)`
  }
}

/** Any JSON scalar but null and "", at any depth: a complex value is present when one of its members is (isPresent in memory). */
const PRESENT_LEAF =
  'strict $.** ? (@.type() != "object" && @.type() != "array" && @.type() != "null" && (@.type() != "string" || @ != ""))'

/** A stored "" is not a value (RFC 7644 §3.4.2.2 pr), nor is a complex value whose members are all "". */
function presentJson(json: SQL, attribute: AttributeDefinition): SQL {
  if (attribute.type !== 'complex') return sql`(${json} is not null and ${json} <> '""'::jsonb)`
  return sql`coalesce(jsonb_path_exists(${json}, ${PRESENT_LEAF}::jsonpath), false)`
}

function comparison(t: SqlOperand, op: CompareOp, value: CompValue, resource: SqlResource): SQL {
  if (value === null) return op === 'eq' ? sql`(not ${present(t)})` : present(t)
  if (op === 'ne') return sql`(not ${comparison(t, 'eq', value, resource)})`
  switch (t.kind) {
    case 'column':
      return columnComparison(t, op, value)
    case 'constant':
      return constantComparison(t.attribute, t.value, op, value) ? sql`true` : sql`false`
    case 'json':
      return sql`(${t.json} is not null and ${jsonComparison(t.json, t.attribute, op, value)})`
    case 'elements': {
      const element = sql`(scim_cmp -> ${jsonKey(t.sub)})`
      const exists = sql`exists (select 1 from jsonb_array_elements(${arrayOf(t.array)}) as scim_cmp where ${element} is not null and ${jsonComparison(element, t.attribute, op, value)})`
      const index = typeof value === 'string' && !t.attribute.caseExact ? indexedValues(t.stored, op, value) : undefined
      return index ? sql`(${index} and ${exists})` : exists
    }
    case 'relation':
      if (!t.sub) throw notFilterable(t.label)
      return t.relation.exists(stringComparison(t.sub, t.attribute, op, String(value)))
    case 'row':
      return sql`(${t.value} is not null and ${stringComparison(t.value, t.attribute, op, String(value))})`
  }
}

type Op = Exclude<CompareOp, 'ne'>

function columnComparison(t: Extract<SqlOperand, { kind: 'column' }>, op: Op, value: string | number | boolean): SQL {
  const { column, notNull, uuid } = t.column
  const guard = (condition: SQL) => (notNull ? condition : sql`(${column} is not null and ${condition})`)
  if (t.attribute.type === 'boolean') return guard(sql`(${column} = ${value as boolean})`)
  if (t.attribute.type === 'dateTime') return guard(sql`(${column} ${ordering(op)} ${timestamptz(value as string)})`)
  const text = String(value)
  if (uuid && op === 'eq') {
    // Index lookup for a canonical UUID; anything else cannot equal a (lower-case) stored id.
    return isCanonicalUuid(text) ? guard(sql`(${column} = ${text}::uuid)`) : sql`false`
  }
  const expression = uuid ? sql`(${column}::text)` : column
  return guard(stringComparison(expression, t.attribute, op, text))
}

function jsonComparison(json: SQL, attribute: AttributeDefinition, op: Op, value: string | number | boolean): SQL {
  switch (attribute.type) {
    case 'boolean':
      return sql`(${json} = ${JSON.stringify(value)}::jsonb)`
    case 'integer':
    case 'decimal':
      return sql`(case when jsonb_typeof(${json}) = 'number' then (${json})::text::numeric ${ordering(op)} ${value as number} else false end)`
    case 'dateTime':
      // Stored dateTimes are validated on input; compared as instants to the millisecond, as in memory.
      return sql`(jsonb_typeof(${json}) = 'string' and date_trunc('milliseconds', (${json} #>> '{}')::timestamptz) ${ordering(op)} ${timestamptz(value as string)})`
    default:
      return sql`(jsonb_typeof(${json}) = 'string' and ${stringComparison(sql`(${json} #>> '{}')`, attribute, op, String(value))})`
  }
}

/**
 * caseExact false folds ASCII case on both sides (scim/core/case-fold.ts): lower() under the "C"
 * collation folds exactly those letters, and "C" orders by code point for gt/lt.
 */
function stringComparison(expression: SQL, attribute: AttributeDefinition, op: Op, value: string): SQL {
  // Equality is byte equality under any deterministic collation, so caseExact eq keeps the column's
  // own collation: `collate "C"` there would keep PostgreSQL off scim_users_external_id_idx.
  if (attribute.caseExact && op === 'eq') return sql`(${expression} = ${value})`
  const left = attribute.caseExact ? sql`(${expression} collate "C")` : caseFolded(expression)
  const wanted = attribute.caseExact ? value : foldCase(value)
  switch (op) {
    case 'co':
      return sql`(${left} like ${`%${escapeLike(wanted)}%`})`
    case 'sw':
      return sql`(${left} like ${`${escapeLike(wanted)}%`})`
    case 'ew':
      return sql`(${left} like ${`%${escapeLike(wanted)}`})`
    default:
      return sql`(${left} ${ordering(op)} ${wanted})`
  }
}

function constantComparison(attribute: AttributeDefinition, stored: string, op: Op, value: string | number | boolean): boolean {
  if (typeof value !== 'string') return false
  const a = attribute.caseExact ? stored : foldCase(stored)
  const b = attribute.caseExact ? value : foldCase(value)
  switch (op) {
    case 'eq':
      return a === b
    case 'co':
      return a.includes(b)
    case 'sw':
      return a.startsWith(b)
    case 'ew':
      return a.endsWith(b)
    case 'gt':
      return a > b
    case 'ge':
      return a >= b
    case 'lt':
      return a < b
    case 'le':
      return a <= b
  }
}

/**
 * An RFC 3339 value (validated by the evaluator) as a PostgreSQL instant. toISOString writes years
 * before 1 and after 9999 as "-000001" and "+010000", which PostgreSQL refuses ("0000-01-01T00:00:00Z"
 * and "9999-12-31T23:59:59-23:59" are valid RFC 3339); it reads "0002-...Z BC" and "10000-...".
 */
function timestamptz(value: string): SQL {
  const date = new Date(value)
  const year = date.getUTCFullYear()
  const rest = date.toISOString().replace(/^[+-]?\d+/, '')
  const text = year >= 1 ? `${String(year).padStart(4, '0')}${rest}` : `${String(1 - year).padStart(4, '0')}${rest} BC`
  return sql`${text}::timestamptz`
}

function ordering(op: Op): SQL {
  const operators: Record<string, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' }
  const operator = operators[op]
  if (!operator) throw new Error(`no ordering operator for ${op}`)
  return sql.raw(operator)
}

/** A jsonb value as an array for jsonb_array_elements (which fails on anything else). */
function arrayOf(json: SQL): SQL {
  return sql`(case when jsonb_typeof(${json}) = 'array' then ${json} else '[]'::jsonb end)`
}

/**
 * The elements `attr[...]` tests: a multi-valued attribute's array, or a single-valued complex
 * attribute (`name[givenName eq "x"]`) as its one element, as in memory.
 */
function elementsOf(json: SQL): SQL {
  return sql`(case jsonb_typeof(${json}) when 'array' then ${json} when 'object' then jsonb_build_array(${json}) else '[]'::jsonb end)`
}

/** LIKE's wildcards in user text are literals (backslash is PostgreSQL's default LIKE escape). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * An index condition implied by "some value of the path (not caseExact) satisfies `op term`", when
 * its storage has one: membership in the folded-values array for eq, a substring of the folded
 * values text for co/sw/ew (it is a superset; the exact EXISTS test follows).
 */
function indexedValues(stored: StoredAttribute | undefined, op: CompareOp, term: string): SQL | undefined {
  if (op === 'eq' && stored?.valuesArray) return sql`${stored.valuesArray} @> array[${foldCase(term)}]::text[]`
  if ((op === 'co' || op === 'sw' || op === 'ew') && stored?.valuesText)
    return sql`${stored.valuesText} like ${`%${escapeLike(foldCase(term))}%`}`
  return undefined
}

/**
 * A jsonb object key from the schema (never from filter text) as a SQL literal, not a parameter:
 * expression indexes on document paths (migrations 0005, 0006) match only constant keys.
 */
function jsonKey(name: string): SQL {
  return sql.raw(`'${name.replace(/'/g, "''")}'`)
}

function notFilterable(label: string): ScimError {
  return ScimError.badRequest('invalidFilter', `Invalid filter: "${label}" cannot be used in a filter`)
}

/**
 * RFC 7644 §3.4.2.3 sortBy -> an ORDER BY expression with the filter's case rules: strings that are
 * not caseExact sort ASCII-folded, all strings by code point ("C"). A multi-valued attribute sorts
 * by its primary value, else its first. Unknown or unsortable attributes are 400 invalidValue.
 */
export function sortToSql(path: AttrPath, resource: SqlResource): SQL {
  const label = formatAttrPath(path)
  const named = resolvePath(path, resource.view)
  if (!named) throw notSortable(label, 'is not an attribute of this resource')
  if (named.attribute.type === 'complex' && !named.sub && !named.attribute.multiValued)
    throw notSortable(label, 'is complex: sort by one of its sub-attributes')
  let t: SqlOperand
  try {
    t = target(path, resource, undefined, true)
  } catch {
    throw notSortable(label, 'cannot be sorted on')
  }
  const text = (expression: SQL, definition: AttributeDefinition) =>
    definition.caseExact ? sql`(${expression} collate "C")` : caseFolded(expression)
  switch (t.kind) {
    case 'column':
      return t.attribute.type === 'string' && !t.column.uuid ? text(t.column.column, t.attribute) : t.column.column
    case 'constant':
      return sql`0`
    case 'json':
      return ['string', 'reference', 'binary'].includes(t.attribute.type) ? text(sql`(${t.json} #>> '{}')`, t.attribute) : t.json
    case 'elements': {
      const value = sql`coalesce(
        (select scim_s -> ${jsonKey(t.sub)} from jsonb_array_elements(${arrayOf(t.array)}) as scim_s where scim_s -> 'primary' = 'true'::jsonb limit 1),
        (${arrayOf(t.array)} -> 0 -> ${jsonKey(t.sub)}))`
      return ['string', 'reference', 'binary'].includes(t.attribute.type) ? text(sql`(${value} #>> '{}')`, t.attribute) : value
    }
    default:
      throw notSortable(label, 'is kept as separate rows and cannot be sorted on')
  }
}

/**
 * sortToSql's key when listRows can seek from it (page-keys.ts): a NOT NULL column whose text form
 * casts back to the same value. Other keys (attributes in the document, which may be absent) page by
 * OFFSET only.
 */
export function seekableSort(path: AttrPath, resource: SqlResource): { key: SQL; type: 'timestamptz' | 'uuid' | 'text' } | undefined {
  const key = sortToSql(path, resource)
  let t: SqlOperand
  try {
    t = target(path, resource, undefined, true)
  } catch {
    return undefined
  }
  if (t.kind !== 'column' || !t.column.notNull) return undefined
  if (t.column.uuid) return { key, type: 'uuid' }
  if (t.attribute.type === 'dateTime') return { key, type: 'timestamptz' }
  return t.attribute.type === 'string' ? { key, type: 'text' } : undefined
}

function notSortable(label: string, why: string): ScimError {
  return ScimError.badRequest('invalidValue', `sortBy "${label}" ${why}`)
}
