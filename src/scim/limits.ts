/**
 * Every limit the SCIM API holds a request to. The code enforces these constants,
 * /ServiceProviderConfig advertises SERVICE_LIMITS, and the README's limits table states each value
 * (test/unit/limits.test.ts fails when the table and this file disagree). Past a limit, RFC 7644 §3.12
 * lets the server refuse the request (400 tooMany or invalidValue, 413 for the body) instead of
 * spending it on work no identity provider asks for.
 */

/** Resources one list page returns at most, and the page size when `count` is absent (filter maxResults, RFC 7644 §3.4.2.4). */
export const MAX_RESULTS = 1000

/** Operations one PATCH may hold; identity providers send a handful. */
export const MAX_OPERATIONS = 1000

/** Bytes a request body may hold (1 MiB); more is 413. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024

/** What /ServiceProviderConfig advertises and the list and PATCH routes enforce. */
export interface ServiceLimits {
  readonly maxResults: number
  readonly maxOperations: number
  readonly maxPayloadSize: number
}

export const SERVICE_LIMITS: ServiceLimits = { maxResults: MAX_RESULTS, maxOperations: MAX_OPERATIONS, maxPayloadSize: MAX_PAYLOAD_BYTES }

/** A filter's length, in UTF-16 code units (RFC 7644 §3.4.2.2). */
export const MAX_FILTER_LENGTH = 4096

/** Nesting of "(", "not (" and "[" in a filter or path (each counts one level; and/or chains are bounded by the length). */
export const MAX_FILTER_DEPTH = 32

/**
 * Most names `attributes` or `excludedAttributes` may hold. The User schema has 84 attribute and
 * sub-attribute paths (Group 14): every one of them, with and without its schema URN, fits. More is
 * no projection a client needs.
 */
export const MAX_PROJECTION_NAMES = 200

/** Longest name there: a URN-qualified sub-attribute is under 100 characters; the rest is room for a value filter (an email is at most 254). */
export const MAX_PROJECTION_NAME_LENGTH = 512

/**
 * Most comparisons the value filters of both lists hold in all (`emails[type eq "work"]` is one).
 * Each is run on every value of every resource of the page, so this, not the number of names,
 * bounds what a projection costs per resource: twenty keep a page of 1,000 to tens of milliseconds.
 */
export const MAX_PROJECTION_FILTER_COMPARISONS = 20

/**
 * Members one JSON object of a request may hold. The User schemas have 84 attribute paths and an IdP
 * sends a few dozen; every key costs a lookup, so an object of 90,000 made-up keys is refused up
 * front (invalidValue) instead of being walked.
 */
export const MAX_OBJECT_KEYS = 1000

/** Values one multi-valued attribute may hold (emails, phoneNumbers, ...). */
export const MAX_MULTI_VALUES = 100

/** Characters one string value may hold. */
export const MAX_STRING_LENGTH = 65_536

/**
 * Levels a value may nest. A SCIM value is at most three levels deep (no-path object -> multi-valued
 * list -> element), so anything much deeper is refused before code that recurses (JSON.stringify, the
 * filter evaluator's presence test) can overflow the stack on it.
 */
export const MAX_VALUE_DEPTH = 8

/**
 * Filter comparisons the paths of one PATCH may hold in all. Identity providers write one or two a
 * path (Microsoft Entra ID's `emails[type eq "work"].value`, Okta's `members[value eq "id"]` in each
 * of many operations); each costs its parsing, and 250 paths of 200 comparisons, under the body
 * limit, took 60-130 ms to parse.
 */
export const MAX_PATH_COMPARISONS = 2000

/**
 * What one PATCH may cost, in values looked at: each member of a value without a path counts one,
 * and each operation on a multi-valued attribute counts its elements (times the comparisons of its
 * filter). An operation's cost grows with the resource (up to 100 elements, each compared with a
 * filter of up to 4,096 characters) and there may be 1,000 of them: 1,000 filtered replaces on a user
 * with 100 emails held the event loop 0.3 s. Identity providers send a handful of operations on a few
 * values (Microsoft Entra ID's longest PATCH in test/idp/entra.test.ts counts well under 100); past
 * the budget the client sends fewer operations at once.
 */
export const MAX_PATCH_WORK = 10_000

/** Members a single PATCH or PUT of a Group may carry (also stated in the Group schema's `members`). */
export const MAX_MEMBERS_PER_REQUEST = 10_000

/**
 * Members rendered in one response at most, across its page (and with Users' groups on /.search): a
 * larger group or page is 400 tooMany and is read with excludedAttributes=members or a smaller count.
 * One group of 10,000 was already the limit; per group only, a page of 60 such groups was a 123 MB
 * body that held the event loop 3.6 s, and one of 300 ran into the statement timeout.
 */
export const MAX_MEMBERS_RETURNED = 10_000

/**
 * A User's `groups` lists this many groups at most, and a page of Users this many in all: the cap a
 * Group's members have (MAX_MEMBERS_RETURNED), for the same reason.
 */
export const MAX_GROUPS_RETURNED = 10_000
