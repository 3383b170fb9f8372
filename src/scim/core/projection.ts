import { findAttribute, type AttributeDefinition } from './attribute.js'
import type { ResourceSchemaView } from './resource-input.js'
import { isObject } from './resource-input.js'
import type { Filter } from '../filter/ast.js'
import { matchesValueFilter } from '../filter/evaluate.js'
import { parsePatchPath } from '../filter/parser.js'
import { ScimError } from '../protocol/scim-error.js'

/** A resolved attribute reference: the key in the resource (an extension URN or a core name) and an optional sub-path. */
interface Selector {
  readonly extension?: string
  readonly attr: string
  readonly subAttr?: string
  /** `emails[type eq "work"]`: only the values matching the filter (RFC 7644 §3.10). */
  readonly filter?: { readonly filter: Filter; readonly attribute: AttributeDefinition }
}

export interface ProjectionRequest {
  readonly attributes?: string | undefined
  readonly excludedAttributes?: string | undefined
}

/**
 * RFC 7644 §3.4.2.5 and §3.9: `attributes` keeps only the named attributes (plus those returned
 * "always": id, schemas, meta.resourceType); `excludedAttributes` drops the named ones. Names are
 * resolved against the schema, so an unknown name is a 400 invalidPath instead of a silent no-op.
 */
export function project(
  resource: Record<string, unknown>,
  request: ProjectionRequest,
  view: ResourceSchemaView,
): Record<string, unknown> {
  const include = parseList(request.attributes, view)
  if (include.length > 0) return includeOnly(resource, include)
  const exclude = parseList(request.excludedAttributes, view)
  if (exclude.length > 0) return excludeSome(resource, exclude)
  return resource
}

/**
 * The part of a projection that names attributes of `view` (a search across resource types names
 * attributes of several); undefined when it names none of them, so that nothing is filtered out.
 */
export function projectionFor(request: ProjectionRequest, view: ResourceSchemaView): { projection: ProjectionRequest; known: string[] } {
  const known: string[] = []
  const keep = (list: string | undefined) => {
    const names = (list ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '')
    const kept = names.filter((name) => {
      try {
        resolve(name, view)
        return true
      } catch {
        return false
      }
    })
    known.push(...kept)
    return kept.length > 0 ? kept.join(',') : undefined
  }
  return { projection: { attributes: keep(request.attributes), excludedAttributes: keep(request.excludedAttributes) }, known }
}

/** Validates a projection without applying it (used before a write, so a bad list changes nothing). */
export function checkProjection(request: ProjectionRequest, view: ResourceSchemaView): void {
  parseList(request.attributes, view)
  parseList(request.excludedAttributes, view)
}

function parseList(list: string | undefined, view: ResourceSchemaView): Selector[] {
  if (list === undefined || list.trim() === '') return []
  return splitNames(list)
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => resolve(item, view))
}

/** Commas separate names, except inside a value filter's brackets or quotes. */
function splitNames(list: string): string[] {
  const names: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < list.length; i++) {
    const c = list[i]
    if (c === '"' && list[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && c === '[') depth++
    else if (!quoted && c === ']') depth = Math.max(0, depth - 1)
    else if (!quoted && depth === 0 && c === ',') {
      names.push(list.slice(start, i))
      start = i + 1
    }
  }
  names.push(list.slice(start))
  return names
}

function resolve(path: string, view: ResourceSchemaView): Selector {
  const lower = path.toLowerCase()
  const schemas = [view.core, ...view.extensions]
  const schema = schemas.find((s) => lower === s.id.toLowerCase() || lower.startsWith(`${s.id.toLowerCase()}:`))
  let rest = path
  let extension: string | undefined
  let attributes = [...view.common, ...view.core.attributes]
  if (schema) {
    rest = path.slice(schema.id.length + 1)
    if (schema !== view.core) {
      extension = schema.id
      attributes = [...schema.attributes]
      if (rest === '') return { extension, attr: '' }
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
  const definition = findAttribute(attributes, attrName)
  if (!definition) throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  if (valueFilter && (!definition.multiValued || definition.type !== 'complex')) {
    throw ScimError.badRequest('invalidPath', `"${path}": only multi-valued complex attributes take a [filter]`)
  }
  // Checked once here against the attribute, so a wrong filter is a 400 before any resource is read.
  if (valueFilter) matchesValueFilter({}, valueFilter, definition)
  const filter = valueFilter ? { filter: { filter: valueFilter, attribute: definition } } : {}
  if (subName === undefined) return { ...(extension ? { extension } : {}), attr: definition.name, ...filter }
  const sub = findAttribute(definition.subAttributes, subName)
  if (!sub) throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  return { ...(extension ? { extension } : {}), attr: definition.name, subAttr: sub.name, ...filter }
}

/** The values a selector picks from a multi-valued attribute (all, or those matching its filter). */
function picked(value: unknown, selector: Selector): unknown {
  if (!selector.filter || !Array.isArray(value)) return value
  const { filter, attribute } = selector.filter
  return value.filter((item) => matchesValueFilter(item, filter, attribute))
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
      const matching = new Set(picked(target[selector.attr], selector) as unknown[])
      const kept = (target[selector.attr] as unknown[]).flatMap((item) => {
        if (!matching.has(item)) return [item]
        if (!selector.subAttr || !isObject(item)) return []
        const { [selector.subAttr]: _dropped, ...rest } = item
        return [rest]
      })
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
