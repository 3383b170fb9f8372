import { ScimError } from './scim-error.js'
import { getMember } from '../core/resource-members.js'

export interface ListRequest {
  readonly filter?: string | undefined
  readonly startIndex: number
  readonly count: number
  readonly attributes?: string | undefined
  readonly excludedAttributes?: string | undefined
  readonly sortBy?: string | undefined
  readonly sortOrder?: 'ascending' | 'descending' | undefined
  /** RFC 9865: present (possibly empty, for the first page) when the client pages by cursor. */
  readonly cursor?: string | undefined
}

/**
 * RFC 7644 §3.4.2 list parameters from a query string or a SearchRequest body (§3.4.3), their names
 * matched case-insensitively as attribute names are:
 * startIndex below 1 counts as 1, count below 0 as 0, count above maxResults is capped.
 * A startIndex past Number.MAX_SAFE_INTEGER counts as that: no result is that long, so the page is
 * empty either way (§3.4.2.4), and the number stays exact (and within PostgreSQL's bigint).
 */
export function parseListRequest(params: Record<string, unknown>, limits: { maxResults: number; defaultCount: number }): ListRequest {
  const filter = optionalString(getMember(params, 'filter'), 'filter')
  const startIndex = Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, integer(getMember(params, 'startIndex'), 'startIndex') ?? 1))
  const count = Math.min(limits.maxResults, Math.max(0, integer(getMember(params, 'count'), 'count') ?? limits.defaultCount))
  const sortOrder = optionalString(getMember(params, 'sortOrder'), 'sortOrder')?.toLowerCase()
  if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw ScimError.badRequest('invalidValue', 'sortOrder must be "ascending" or "descending"')
  }
  return {
    filter: filter?.trim() === '' ? undefined : filter,
    startIndex,
    count,
    attributes: listParam(getMember(params, 'attributes'), 'attributes'),
    excludedAttributes: listParam(getMember(params, 'excludedAttributes'), 'excludedAttributes'),
    sortBy: optionalString(getMember(params, 'sortBy'), 'sortBy'),
    sortOrder,
    cursor: cursorParam(params),
  }
}

/** A cursor pages by id: it cannot be combined with startIndex or sortBy. */
function cursorParam(params: Record<string, unknown>): string | undefined {
  const cursor = optionalString(getMember(params, 'cursor'), 'cursor')
  if (cursor === undefined) return undefined
  if (getMember(params, 'startIndex') !== undefined)
    throw ScimError.badRequest('invalidValue', 'Use either cursor or startIndex, not both (RFC 9865)')
  if (getMember(params, 'sortBy') !== undefined)
    throw ScimError.badRequest('invalidValue', 'Cursor pages follow the id order; sortBy needs index paging (startIndex)')
  return cursor
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw ScimError.badRequest('invalidValue', `"${name}" must be a string`)
  return value
}

/** `attributes` may be a comma-separated string (query) or an array of names (SearchRequest). */
function listParam(value: unknown, name: string): string | undefined {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',')
  return optionalString(value, name)
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  // Only a number or its text: Number() of an object runs the client's own toString/valueOf keys.
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN
  if (!Number.isInteger(number)) throw ScimError.badRequest('invalidValue', `"${name}" must be an integer`)
  return number
}
