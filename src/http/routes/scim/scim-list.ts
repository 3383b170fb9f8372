/**
 * A list request of /Users or /Groups (query string or SearchRequest body) as a store query, and its
 * ListResponse, with index paging or cursor paging (RFC 9865).
 */
import { compileProjection, type Projection } from '../../../scim/core/projection.js'
import type { ResourceSchemaView } from '../../../scim/core/resource-input.js'
import type { AttrPath } from '../../../scim/filter/ast.js'
import { formatFilter } from '../../../scim/filter/format.js'
import { parseFilter, parsePatchPath } from '../../../scim/filter/parser.js'
import { decodeCursor, encodeCursor, type CursorKey } from '../../../scim/protocol/cursor.js'
import { listResponse } from '../../../scim/protocol/list-response.js'
import { parseListRequest } from '../../../scim/protocol/list-request.js'
import { ScimError } from '../../../scim/protocol/scim-error.js'
import type { ListQuery } from '../../../store/records.js'

/** A list request (query string or SearchRequest body) as a store query plus its projection. */
export interface ParsedListRequest {
  readonly query: ListQuery
  /** Resolved once here, then applied to each resource of the page. */
  readonly projection: Projection
  /** Cursor paging: what the next cursor is bound to and signed with; undefined with index paging. */
  readonly cursor: ListCursor | undefined
}

export interface ListCursor {
  readonly binding: string
  readonly key: CursorKey
}

export interface ListOptions {
  readonly maxResults: number
  /** The server's key for cursors (RFC 9865), the same on every replica. */
  readonly cursorKey: CursorKey
}

/**
 * `endpointId` scopes cursors: one endpoint's cursor is refused on another (it would page by an id
 * taken from another team's list, and a re-enabled endpoint starts its cursors afresh).
 */
export function listQuery(
  params: Record<string, unknown>,
  view: ResourceSchemaView,
  { maxResults, cursorKey }: ListOptions,
  endpointId: string,
): ParsedListRequest {
  const request = parseListRequest(params, { maxResults, defaultCount: maxResults })
  const projection = compileProjection({ attributes: request.attributes, excludedAttributes: request.excludedAttributes }, view)
  const filter = request.filter === undefined ? undefined : parseFilter(request.filter)
  const sortBy = request.sortBy === undefined ? undefined : sortPath(request.sortBy)
  // What a cursor is bound to: the endpoint (as the bearer check compares it, lower case), the
  // resource type and the filter (formatted, so spelling does not matter).
  const binding = `${endpointId.toLowerCase()}|${view.core.id}|${filter ? formatFilter(filter) : ''}`
  const cursor = request.cursor === undefined ? undefined : { binding, key: cursorKey }
  const afterId =
    request.cursor === undefined ? undefined : request.cursor === '' ? null : decodeCursor(request.cursor, cursor!.binding, cursorKey)
  return {
    query: {
      filter,
      startIndex: request.startIndex,
      count: request.count,
      sortBy,
      descending: request.sortOrder === 'descending',
      afterId,
    },
    projection,
    cursor,
  }
}

/** RFC 7644 §3.4.2.3: sortBy is an attribute path (no value filter). */
function sortPath(sortBy: string): AttrPath {
  let parsed
  try {
    parsed = parsePatchPath(sortBy)
  } catch {
    throw ScimError.badRequest('invalidValue', `sortBy "${sortBy}" is not an attribute path`)
  }
  if (parsed.valueFilter || parsed.subAttr || parsed.path.attr === '') {
    throw ScimError.badRequest('invalidValue', `sortBy "${sortBy}" must name one attribute, such as userName or name.familyName`)
  }
  return parsed.path
}

/** A ListResponse for index or cursor paging (RFC 9865 adds nextCursor and drops startIndex). */
export function listBody(
  query: ListQuery,
  cursor: ListCursor | undefined,
  totalResults: number,
  resources: readonly unknown[],
  nextAfterId: string | undefined,
) {
  const body = listResponse(totalResults, query.startIndex, resources)
  if (cursor === undefined) return body
  const { startIndex: _startIndex, ...cursorBody } = body
  return nextAfterId ? { ...cursorBody, nextCursor: encodeCursor(nextAfterId, cursor.binding, cursor.key) } : cursorBody
}
