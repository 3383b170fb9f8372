import { findAttribute, type AttributeDefinition } from './attribute.js'
import { resolveAttribute, resolveSubAttribute } from './attribute-path.js'
import type { ResourceSchemaView } from './resource-input.js'
import { isObject } from './resource-input.js'
import { filterComparisons, type Filter } from '../filter/ast.js'
import { compileFilter } from '../filter/evaluate.js'
import { formatFilter } from '../filter/format.js'
import { parsePatchPath } from '../filter/parser.js'
import { ScimError } from '../protocol/scim-error.js'
import { MAX_PROJECTION_FILTER_COMPARISONS, MAX_PROJECTION_NAME_LENGTH, MAX_PROJECTION_NAMES } from '../limits.js'

/** A resolved attribute reference: the key in the resource (an extension URN or a core name) and an optional sub-path. */
interface Selector {
  /** The same for two names that select the same values. */
  readonly key: string
  readonly extension?: string
  readonly attr: string
  readonly subAttr?: string
  /** `emails[type eq "work"]`: only the values matching the filter (RFC 7644 §3.10), compiled once. */
  readonly filter?: (value: unknown) => boolean
}

export interface ProjectionRequest {
  readonly attributes?: string | undefined
  readonly excludedAttributes?: string | undefined
}

/** The names of both lists, split and held to the limits. */
export interface ProjectionNames {
  readonly attributes: readonly string[]
  readonly excludedAttributes: readonly string[]
}

/**
 * RFC 7644 §3.4.2.5 and §3.9, resolved once per request and applied to each resource: `attributes`
 * keeps only the named attributes (plus those returned "always": id, schemas, meta.resourceType);
 * `excludedAttributes` drops the named ones.
 */
export interface Projection {
  /** The resource as the response shows it; the input is not changed. */
  apply(resource: Record<string, unknown>): Record<string, unknown>
  /** Whether the response shows the core attribute `name`: what is not shown need not be read. */
  shows(name: string): boolean
  /** `attributes` named something: only the named attributes are returned. */
  readonly selective: boolean
}

/**
 * The projection of a request on one resource type. Names are resolved against the schema, so an
 * unknown name is a 400 invalidPath instead of a silent no-op, before anything is read or written.
 */
export function compileProjection(request: ProjectionRequest, view: ResourceSchemaView): Projection {
  const names = projectionNames(request)
  const budget = { comparisons: MAX_PROJECTION_FILTER_COMPARISONS }
  const resolveAll = (list: readonly string[]) => list.map((name) => resolve(name, view, budget))
  return compiled(resolveAll(names.attributes), resolveAll(names.excludedAttributes), view)
}

/**
 * The part of a projection that names attributes of `view` (a search across resource types names
 * attributes of several, RFC 7644 §3.4.3), and which names those were. A type none of whose
 * attributes is named is returned whole.
 */
export function projectionFor(names: ProjectionNames, view: ResourceSchemaView): { projection: Projection; known: ReadonlySet<string> } {
  const known = new Set<string>()
  const budget = { comparisons: MAX_PROJECTION_FILTER_COMPARISONS }
  const keep = (list: readonly string[]) =>
    list.flatMap((name) => {
      let selector: Selector
      try {
        selector = resolve(name, view, budget)
      } catch (error) {
        if (error instanceof ScimError && error.scimType === 'tooMany') throw error
        return []
      }
      known.add(name)
      return [selector]
    })
  return { projection: compiled(keep(names.attributes), keep(names.excludedAttributes), view), known }
}

/** Splits both lists, refusing one longer than MAX_PROJECTION_NAMES or a name longer than MAX_PROJECTION_NAME_LENGTH (400 tooMany). */
export function projectionNames(request: ProjectionRequest): ProjectionNames {
  return {
    attributes: parseNames(request.attributes, 'attributes'),
    excludedAttributes: parseNames(request.excludedAttributes, 'excludedAttributes'),
  }
}

function compiled(allIncluded: Selector[], allExcluded: Selector[], view: ResourceSchemaView): Projection {
  const include = distinct(allIncluded)
  const exclude = distinct(allExcluded)
  const names = (selectors: Selector[], whole: boolean) =>
    new Set(selectors.filter((s) => !s.extension && (!whole || (!s.subAttr && !s.filter))).map((s) => s.attr))
  const included = names(include, false)
  const excluded = names(exclude, true)
  return {
    apply: (resource) =>
      include.length > 0 ? includeOnly(resource, include) : exclude.length > 0 ? excludeSome(resource, exclude) : resource,
    shows: (name) => {
      const definition = findAttribute(view.core.attributes, name)
      if (!definition) return false
      if (include.length > 0) return included.has(definition.name)
      return !excluded.has(definition.name) && definition.returned !== 'request' && definition.returned !== 'never'
    },
    selective: include.length > 0,
  }
}

/**
 * Commas separate names, except inside a value filter's brackets or quotes; blank items are
 * skipped. The split stops at the first name past either limit, so a list of a million names
 * costs no more than one at the limit.
 */
function parseNames(list: string | undefined, field: 'attributes' | 'excludedAttributes'): string[] {
  if (list === undefined) return []
  const names: string[] = []
  const add = (item: string) => {
    const name = item.trim()
    if (name === '') return
    if (name.length > MAX_PROJECTION_NAME_LENGTH) {
      throw ScimError.badRequest(
        'tooMany',
        `A name in ${field} is longer than ${MAX_PROJECTION_NAME_LENGTH} characters: "${name.slice(0, 40)}..."`,
      )
    }
    if (names.length === MAX_PROJECTION_NAMES) {
      throw ScimError.badRequest('tooMany', `${field} names more than ${MAX_PROJECTION_NAMES} attributes; name each attribute once`)
    }
    names.push(name)
  }
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < list.length; i++) {
    const c = list[i]
    if (c === '"' && list[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && c === '[') depth++
    else if (!quoted && c === ']') depth = Math.max(0, depth - 1)
    else if (!quoted && depth === 0 && c === ',') {
      add(list.slice(start, i))
      start = i + 1
    }
  }
  add(list.slice(start))
  return names
}

/** A name given twice selects the same values twice: applying it once gives the same resource. */
function distinct(selectors: Selector[]): Selector[] {
  const byKey = new Map<string, Selector>()
  for (const selector of selectors) if (!byKey.has(selector.key)) byKey.set(selector.key, selector)
  return [...byKey.values()]
}

function resolve(path: string, view: ResourceSchemaView, budget: { comparisons: number }): Selector {
  const lower = path.toLowerCase()
  const schemas = [view.core, ...view.extensions]
  const schema = schemas.find((s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`))
  let rest = path
  let extension: string | undefined
  if (schema) {
    rest = path.slice(schema.id.length + 1)
    if (schema !== view.core) {
      extension = schema.id
      if (rest === '') return { key: extension, extension, attr: '' }
    }
  }
  // `emails[type eq "work"]` selects the matching values (RFC 7644 §3.10 allows the form).
  let valueFilter: Filter | undefined
  if (rest.includes('[')) {
    let parsed
    try {
      parsed = parsePatchPath(rest)
    } catch (error) {
      throw ScimError.badRequest('invalidPath', `Invalid attribute "${path}": ${error instanceof ScimError ? error.detail : 'malformed'}`)
    }
    valueFilter = parsed.valueFilter
    rest = [parsed.path.attr, parsed.subAttr].filter(Boolean).join('.')
  }
  const [attrName = '', subName] = rest.split('.')
  const definition = resolveAttribute(extension, attrName, view)?.attribute
  if (!definition) throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  if (valueFilter && (!definition.multiValued || definition.type !== 'complex')) {
    throw ScimError.badRequest('invalidPath', `"${path}": only multi-valued complex attributes take a [filter]`)
  }
  const sub = subName === undefined ? undefined : resolveSubAttribute(definition, subName)
  if (subName !== undefined && !sub)
    throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  if (valueFilter) {
    budget.comparisons -= filterComparisons(valueFilter)
    if (budget.comparisons < 0) {
      throw ScimError.badRequest(
        'tooMany',
        `The value filters in attributes and excludedAttributes hold more than ${MAX_PROJECTION_FILTER_COMPARISONS} comparisons in all`,
      )
    }
  }
  const key = [extension ?? '', definition.name, sub?.name ?? '', valueFilter ? formatFilter(valueFilter) : ''].join('|')
  return {
    key,
    ...(extension ? { extension } : {}),
    attr: definition.name,
    ...(sub ? { subAttr: sub.name } : {}),
    // Compiled once here, so a wrong filter is a 400 before any resource is read and each value costs one test.
    ...(valueFilter ? { filter: valueTest(valueFilter, definition, extension, view) } : {}),
  }
}

/**
 * `attr[filter]` as a test of one value: the compiled filter of a resource holding that value alone
 * (a value path matches a resource when one of its values matches, RFC 7644 §3.4.2.2).
 */
function valueTest(
  filter: Filter,
  definition: AttributeDefinition,
  extension: string | undefined,
  view: ResourceSchemaView,
): (value: unknown) => boolean {
  const matches = compileFilter(
    { kind: 'valuePath', path: { ...(extension ? { urn: extension } : {}), attr: definition.name }, filter },
    view,
  )
  return extension
    ? (value) => matches({ [extension]: { [definition.name]: [value] } })
    : (value) => matches({ [definition.name]: [value] })
}

/** The values a selector picks from a multi-valued attribute (all, or those matching its filter). */
function picked(value: unknown, selector: Selector): unknown {
  if (!selector.filter || !Array.isArray(value)) return value
  return value.filter(selector.filter)
}

function includeOnly(resource: Record<string, unknown>, selectors: Selector[]): Record<string, unknown> {
  const out: Record<string, unknown> = { schemas: resource.schemas, id: resource.id }
  const meta = resource.meta as Record<string, unknown> | undefined
  for (const selector of selectors) {
    const source = selector.extension ? (resource[selector.extension] as Record<string, unknown> | undefined) : resource
    if (!source) continue
    if (selector.extension && selector.attr === '') {
      out[selector.extension] = source
      continue
    }
    const target = selector.extension ? ((out[selector.extension] as Record<string, unknown>) ??= {}) : out
    copy(source, target, selector)
  }
  if (meta) out.meta = { ...(out.meta as object), resourceType: meta.resourceType }
  return out
}

function copy(source: Record<string, unknown>, target: Record<string, unknown>, selector: Selector): void {
  const value = picked(source[selector.attr], selector)
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return
  if (!selector.subAttr) {
    target[selector.attr] = value
    return
  }
  const sub = selector.subAttr
  if (Array.isArray(value)) {
    const existing = (target[selector.attr] as Record<string, unknown>[] | undefined) ?? value.map(() => ({}))
    value.forEach((item, index) => {
      if (isObject(item) && item[sub] !== undefined) existing[index] = { ...existing[index], [sub]: item[sub] }
    })
    target[selector.attr] = existing
  } else if (isObject(value) && value[sub] !== undefined) {
    target[selector.attr] = { ...(target[selector.attr] as object), [sub]: value[sub] }
  }
}

function excludeSome(resource: Record<string, unknown>, selectors: Selector[]): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(resource)
  for (const selector of selectors) {
    if (!selector.extension && ['id', 'schemas'].includes(selector.attr)) continue
    const target = selector.extension ? (out[selector.extension] as Record<string, unknown> | undefined) : out
    if (!target) continue
    if (selector.extension && selector.attr === '') {
      delete out[selector.extension]
      continue
    }
    if (selector.filter && Array.isArray(target[selector.attr])) {
      // Exclude only the matching values (and only their sub-attribute when one is named).
      const kept: unknown[] = []
      for (const item of target[selector.attr] as unknown[]) {
        if (!selector.filter(item)) kept.push(item)
        else if (selector.subAttr && isObject(item)) {
          const { [selector.subAttr]: _dropped, ...rest } = item
          kept.push(rest)
        }
      }
      if (kept.length > 0) target[selector.attr] = kept
      else delete target[selector.attr]
      continue
    }
    if (!selector.subAttr) {
      if (!selector.extension && selector.attr === 'meta') {
        out.meta = { resourceType: (resource.meta as Record<string, unknown>).resourceType }
        continue
      }
      delete target[selector.attr]
    } else {
      const value = target[selector.attr]
      if (selector.attr === 'meta' && selector.subAttr === 'resourceType') continue
      for (const item of Array.isArray(value) ? value : [value]) {
        if (isObject(item)) delete item[selector.subAttr]
      }
    }
    if (selector.extension && Object.keys(target).length === 0) delete out[selector.extension]
  }
  return out
}
