/** RFC 7644 §3.14 versions, as weak entity tags (RFC 9110 §8.8.3), and the If-Match / If-None-Match lists that name them. */

/** A resource version as its entity tag: `W/"3"`. */
export function etag(version: number): string {
  return `W/"${version}"`
}

/** The tags of an If-Match or If-None-Match list (RFC 9110 §13.1.1-2). */
function tagsOf(list: string): string[] {
  return list.split(',').map((tag) => tag.trim())
}

/** If-Match: a write proceeds when the list names the current version (W/ or not) or is `*`. */
export function ifMatchHolds(ifMatch: string, version: number): boolean {
  const strong = (tag: string) => tag.replace(/^W\//, '')
  const tags = tagsOf(ifMatch).map(strong)
  return tags.includes('*') || tags.includes(strong(etag(version)))
}

/** If-None-Match: a GET is 304 when the list names the current version exactly or is `*`. */
export function ifNoneMatchHits(ifNoneMatch: string, version: number): boolean {
  return tagsOf(ifNoneMatch).some((tag) => tag === etag(version) || tag === '*')
}
