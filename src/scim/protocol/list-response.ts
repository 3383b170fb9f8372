import { URN } from '../core/schemas.js'

/** RFC 7644 §3.4.2 ListResponse. */
export function listResponse(totalResults: number, startIndex: number, resources: readonly unknown[]) {
  return {
    schemas: [URN.listResponse],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  }
}
