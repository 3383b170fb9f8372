import { findAttribute } from './attribute.js'
import type { ResourceSchemaView } from './resource-input.js'
import { isObject } from './resource-input.js'
import { ScimError } from '../protocol/scim-error.js'

/** A resolved attribute reference: the key in the resource (an extension URN or a core name) and an optional sub-path. */
interface Selector {
  readonly extension?: string
  readonly attr: string
  readonly subAttr?: string
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
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => resolve(item, view))
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
  // `emails[type eq "work"]` in a projection selects the attribute (RFC 7644 §3.10 allows the form).
  const bracket = rest.indexOf('[')
  if (bracket >= 0) rest = rest.slice(0, bracket) + rest.slice(rest.indexOf(']') + 1)
  const [attrName = '', subName] = rest.split('.')
  const definition = findAttribute(attributes, attrName)
  if (!definition) throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  if (subName === undefined) return { ...(extension ? { extension } : {}), attr: definition.name }
  const sub = findAttribute(definition.subAttributes, subName)
  if (!sub) throw ScimError.badRequest('invalidPath', `Unknown attribute "${path}" in attributes or excludedAttributes`)
  return { ...(extension ? { extension } : {}), attr: definition.name, subAttr: sub.name }
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
  const value = source[selector.attr]
  if (value === undefined) return
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
