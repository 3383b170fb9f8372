/**
 * RFC 7644 §3.4.2.2 filter parser (ABNF figure 1) and RFC 7644 §3.5.2 PATCH path parser. The lexer
 * only knows brackets, JSON strings and "words"; the recursive-descent parser gives a word its meaning
 * from where it stands (attribute path, operator, keyword or value), so error messages can say what
 * was expected there.
 */
import { URN } from '../core/schemas.js'
import { ScimError } from '../protocol/scim-error.js'
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../limits.js'
import type { AttrPath, CompValue, CompareOp, Filter, PatchPath } from './ast.js'

export interface FilterLimits {
  /** In UTF-16 code units; default MAX_FILTER_LENGTH. */
  readonly maxLength?: number
  /** Nesting of "(", "not (" and "[" (each counts one level; and/or chains are bounded by maxLength); default MAX_FILTER_DEPTH. */
  readonly maxDepth?: number
}

export interface PatchPathOptions extends FilterLimits {
  /** Schema URNs that, written alone, address a whole extension (default: the enterprise User extension). */
  readonly schemaUrns?: readonly string[]
}

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
/** RFC 7643 §2.1 ATTRNAME, plus "$ref" (RFC 7643 §2.3.7), which the ABNF forgets. */
const ATTR_NAME = String.raw`(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)`
const ATTR_PATH = new RegExp(`^(${ATTR_NAME})(?:\\.(${ATTR_NAME}))?$`, 'i')
const SUB_ATTR = new RegExp(`^\\.(${ATTR_NAME})$`, 'i')
/** RFC 8141 shape, restricted to the characters SCIM schema URNs use ("2.0" segments included). */
const SCHEMA_URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]*(?::[A-Za-z0-9._-]+)+$/i
/** RFC 8259 §6 number. */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/
const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
const ONLY_SPACES = /^[ \t\r\n]*$/

type Kind = 'filter' | 'path'
type Fail = (index: number, message: string) => never

interface Token {
  readonly kind: '(' | ')' | '[' | ']' | 'string' | 'word' | 'end'
  /** As written (strings keep their quotes and escapes). */
  readonly text: string
  /** 0-based offsets into the input. */
  readonly start: number
  readonly end: number
  /** Decoded content of a string token. */
  readonly value?: string
}

/** Parses a `filter` query parameter or SearchRequest attribute (RFC 7644 §3.4.2.2); throws ScimError invalidFilter. */
export function parseFilter(input: string, limits: FilterLimits = {}): Filter {
  return createParser(input, 'filter', limits).parseFilter()
}

/**
 * Parses a PATCH operation `path` (RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`); throws ScimError
 * invalidPath. A known extension schema URN written alone yields `{ path: { urn, attr: '' } }`: the
 * whole extension object is the target.
 */
export function parsePatchPath(input: string, options: PatchPathOptions = {}): PatchPath {
  const parser = createParser(input, 'path', options)
  const trimmed = input.trim()
  const schemaUrns = options.schemaUrns ?? [URN.enterpriseUser]
  if (schemaUrns.some((urn) => urn.toLowerCase() === trimmed.toLowerCase())) return { path: { urn: trimmed, attr: '' } }
  return parser.parsePatchPath()
}

function createParser(input: string, kind: Kind, limits: FilterLimits): Parser {
  const maxLength = limits.maxLength ?? MAX_FILTER_LENGTH
  const scimType = kind === 'filter' ? 'invalidFilter' : 'invalidPath'
  if (input.length > maxLength) {
    throw ScimError.badRequest(scimType, `Invalid ${kind}: ${input.length} characters, longer than the limit of ${maxLength}`)
  }
  if (ONLY_SPACES.test(input)) throw ScimError.badRequest(scimType, `Invalid ${kind}: the ${kind} is empty`)
  const fail: Fail = (index, message) => {
    throw ScimError.badRequest(scimType, `Invalid ${kind} at position ${index + 1}: ${message}`)
  }
  return new Parser(kind, tokenize(input, fail), fail, limits.maxDepth ?? MAX_FILTER_DEPTH)
}

function tokenize(input: string, fail: Fail): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (isSpace(c)) {
      i++
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 })
      i++
    } else if (c === '"') {
      const token = readString(input, i, fail)
      tokens.push(token)
      i = token.end
    } else {
      let j = i
      while (j < input.length && !isSpace(input[j]!) && !'()[]"'.includes(input[j]!)) j++
      tokens.push({ kind: 'word', text: input.slice(i, j), start: i, end: j })
      i = j
    }
  }
  tokens.push({ kind: 'end', text: '', start: input.length, end: input.length })
  return tokens
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r'
}

/** RFC 8259 §7 string, decoded by hand so errors can point at the offending character. */
function readString(input: string, start: number, fail: Fail): Token {
  let value = ''
  let i = start + 1
  while (i < input.length) {
    const c = input[i]!
    if (c === '"') return { kind: 'string', text: input.slice(start, i + 1), start, end: i + 1, value }
    if (c < ' ') {
      fail(i, `control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} must be escaped inside a string`)
    }
    if (c !== '\\') {
      value += c
      i++
      continue
    }
    const escape = input[i + 1]
    if (escape === undefined) break
    const simple = JSON_ESCAPES[escape]
    if (simple !== undefined) {
      value += simple
      i += 2
    } else if (escape === 'u') {
      const hex = input.slice(i + 2, i + 6)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(i, `invalid escape "\\u${hex}" inside a string: expected 4 hex digits`)
      value += String.fromCharCode(parseInt(hex, 16))
      i += 6
    } else {
      fail(i, `invalid escape "\\${escape}" inside a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`)
    }
  }
  return fail(start, 'unterminated string: missing the closing "')
}

function quote(token: Token): string {
  const text = token.text.length > 80 ? `${token.text.slice(0, 79)}…` : token.text
  return token.kind === 'string' ? text : `"${text}"`
}

class Parser {
  private index = 0
  private depth = 0

  constructor(
    private readonly kind: Kind,
    private readonly tokens: readonly Token[],
    private readonly fail: Fail,
    private readonly maxDepth: number,
  ) {}

  parseFilter(): Filter {
    const filter = this.parseOr(undefined)
    const token = this.peek()
    if (token.kind === ')' || token.kind === ']') {
      this.fail(token.start, `found ${quote(token)} without a matching "${token.kind === ')' ? '(' : '['}"`)
    }
    if (token.kind !== 'end') this.expected('"and", "or" or the end of the filter')
    return filter
  }

  parsePatchPath(): PatchPath {
    const word = this.peek()
    if (word.kind !== 'word') this.expected('an attribute path')
    const path = this.attrPath(word, undefined)
    this.next()
    if (this.peek().kind === 'end') return { path }
    if (this.peek().kind !== '[') this.expected('"[" or the end of the path')
    const valueFilter = this.valueFilter(path, word, undefined)
    const after = this.peek()
    if (after.kind === 'end') return { path, valueFilter }
    const sub = after.kind === 'word' && after.start === this.previous()?.end ? SUB_ATTR.exec(after.text) : null
    if (!sub) this.expected('".subAttribute" or the end of the path')
    this.next()
    if (this.peek().kind !== 'end') this.expected('the end of the path')
    return { path, valueFilter, subAttr: sub[1]! }
  }

  /** `parent` is the attribute whose `[...]` we are inside, if any. */
  private parseOr(parent: string | undefined): Filter {
    let left = this.parseAnd(parent)
    while (this.isKeyword(this.peek(), 'or')) {
      this.next()
      left = { kind: 'or', left, right: this.parseAnd(parent) }
    }
    return left
  }

  private parseAnd(parent: string | undefined): Filter {
    let left = this.parseUnary(parent)
    while (this.isKeyword(this.peek(), 'and')) {
      this.next()
      left = { kind: 'and', left, right: this.parseUnary(parent) }
    }
    return left
  }

  private parseUnary(parent: string | undefined): Filter {
    const token = this.peek()
    if (token.kind === '(') {
      this.next()
      this.enter(token)
      const filter = this.parseOr(parent)
      this.close(token)
      return filter
    }
    if (this.isKeyword(token, 'not')) {
      this.next()
      const open = this.peek()
      if (open.kind !== '(') this.expected('"(" (the form is: not (filter))')
      this.next()
      this.enter(open)
      const filter = this.parseOr(parent)
      this.close(open)
      return { kind: 'not', filter }
    }
    if (token.kind === 'word' && !this.isKeyword(token, 'and') && !this.isKeyword(token, 'or')) {
      return this.parseAttrExp(token, parent)
    }
    return this.expected('an attribute path, "(" or "not"')
  }

  private parseAttrExp(word: Token, parent: string | undefined): Filter {
    const path = this.attrPath(word, parent)
    this.next()
    const token = this.peek()
    if (token.kind === '[') {
      const filter = this.valueFilter(path, word, parent)
      const after = this.peek()
      if (after.kind === 'word' && after.text.startsWith('.')) {
        this.fail(
          after.start,
          `a sub-attribute after "]" is only allowed in PATCH paths; in a filter put the condition inside the brackets, e.g. ${path.attr}[... and ${after.text.slice(1)} eq "value"]`,
        )
      }
      return { kind: 'valuePath', path, filter }
    }
    const op = token.kind === 'word' ? token.text.toLowerCase() : ''
    if (op === 'pr') {
      this.next()
      return { kind: 'present', path }
    }
    if (!COMPARE_OPS.has(op)) this.expected('a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)')
    this.next()
    return { kind: 'compare', path, op: op as CompareOp, value: this.compValue() }
  }

  /** RFC 7644 §3.4.2.2 valuePath: `attr[valFilter]`; the caller is positioned on "[". */
  private valueFilter(path: AttrPath, word: Token, parent: string | undefined): Filter {
    const open = this.next()
    if (parent !== undefined) this.fail(open.start, `a filter inside "${parent}[...]" cannot contain another "[...]"`)
    if (open.start !== word.end) this.fail(open.start, 'no space is allowed between an attribute and "["')
    if (path.subAttr !== undefined) {
      this.fail(open.start, `"[...]" must follow a multi-valued attribute, not the sub-attribute ${quote(word)}`)
    }
    this.enter(open)
    const filter = this.parseOr(path.attr)
    this.close(open)
    return filter
  }

  /** RFC 7644 §3.4.2.2 compValue, plus the leniency for unquoted strings. */
  private compValue(): CompValue {
    const token = this.peek()
    if (token.kind === 'string') {
      this.next()
      return token.value!
    }
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase()
      if (lower === 'and' || lower === 'or' || lower === 'not') this.expected('a value')
      if (token.text.includes("'")) this.fail(token.start, `strings must be in double quotes, found ${quote(token)}`)
      this.next()
      if (lower === 'true' || lower === 'false') return lower === 'true'
      if (lower === 'null') return null
      if (JSON_NUMBER.test(token.text)) {
        const number = Number(token.text)
        if (!Number.isFinite(number)) this.fail(token.start, `the number ${quote(token)} is out of range`)
        return number
      }
      // Microsoft Entra ID sends unquoted values (`externalId eq 5d48a0a8-...`); read them as strings.
      return token.text
    }
    return this.expected('a value (a "string", number, true, false or null)')
  }

  private attrPath(token: Token, parent: string | undefined): AttrPath {
    let text = token.text
    let urn: string | undefined
    if (/^urn:/i.test(text)) {
      const colon = text.lastIndexOf(':')
      urn = text.slice(0, colon)
      text = text.slice(colon + 1)
      if (!SCHEMA_URN.test(urn)) this.fail(token.start, `invalid schema URN "${urn}" in ${quote(token)}`)
    }
    const match = ATTR_PATH.exec(text)
    if (!match) {
      this.expected(
        'an attribute path (e.g. userName, name.givenName or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber)',
      )
    }
    const subAttr = match[2]
    if (parent !== undefined && (urn !== undefined || subAttr !== undefined)) {
      this.fail(token.start, `inside "${parent}[...]" name a sub-attribute of "${parent}" alone, found ${quote(token)}`)
    }
    return { ...(urn === undefined ? {} : { urn }), attr: match[1]!, ...(subAttr === undefined ? {} : { subAttr }) }
  }

  private close(open: Token): void {
    const closing = open.kind === '[' ? ']' : ')'
    if (this.peek().kind !== closing) {
      this.expected(`"and", "or" or "${closing}" to close the "${open.text}" at position ${open.start + 1}`)
    }
    this.next()
    this.depth--
  }

  private enter(open: Token): void {
    this.depth++
    if (this.depth > this.maxDepth) {
      this.fail(open.start, `nested deeper than the limit of ${this.maxDepth} levels of "(", "not (" and "["`)
    }
  }

  private expected(what: string): never {
    const token = this.peek()
    const previous = this.previous()
    const found = token.kind === 'end' ? `the end of the ${this.kind}` : quote(token)
    return this.fail(token.start, `expected ${what}${previous ? ` after ${quote(previous)}` : ''}, found ${found}`)
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === keyword
  }

  private peek(): Token {
    return this.tokens[this.index]!
  }

  private previous(): Token | undefined {
    return this.tokens[this.index - 1]
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.index++
    return token
  }
}
