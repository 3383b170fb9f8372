/**
 * Text no stored value can hold: U+0000 (PostgreSQL's text refuses it) and an unpaired UTF-16
 * surrogate (drivers turn a lone surrogate into U+FFFD, so what was stored would not be what was
 * sent). Yet in JavaScript "\ud83d" is a substring of "😀". A request body holding either is refused,
 * a filter comparing with either is invalidFilter, and a prepared lookup never binds one.
 */
export const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
