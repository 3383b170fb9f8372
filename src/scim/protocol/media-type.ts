/** RFC 7644 §3.1 / §8.1: the SCIM media type; application/json is accepted too. */
export const SCIM_MEDIA_TYPE = 'application/scim+json'
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'
