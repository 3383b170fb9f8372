import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'

/** The methods an OpenAPI path item can hold, as Fastify names them. */
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const

/** The document's `$id` inside Ajv: its `#/components/...` references resolve against it. */
const DOCUMENT_ID = 'https://compound-scim.invalid/openapi.yaml'

type Node = Record<string, unknown>

/** The fields of an OpenAPI 3.1 document object. */
const OPENAPI_FIELDS = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'paths',
  'webhooks',
  'components',
  'security',
  'tags',
  'externalDocs',
]

export interface Operation {
  /** Upper case, as Fastify names it. */
  readonly method: string
  /** The document's path, e.g. `/scim/v2/{endpointId}/Users/{id}`. */
  readonly path: string
  readonly operationId: string
  /** JSON pointer of the operation object in the document. */
  readonly pointer: string
  readonly node: Node
}

/** What was sent, for the request-side checks. */
export interface SentRequest {
  readonly method: string
  /** Path and query string, as given to `app.inject`. */
  readonly url: string
  /** The body as sent (before serialisation), if any. */
  readonly body?: unknown
  /** The request's Content-Type, if a body was sent. */
  readonly contentType?: string
}

/** The parts of a light-my-request response the checks read. */
export interface ReceivedResponse {
  readonly statusCode: number
  readonly headers: Record<string, string | string[] | number | undefined>
  readonly body: string
}

/** `{name}` in an OpenAPI path is `:name` in a Fastify route. */
export function fastifyPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1')
}

function pointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * openapi.yaml as a checker: its operations, which operation a request reaches, and whether a real
 * response (status, media type, body, declared headers) is one the document allows. Schemas are
 * compiled by Ajv in JSON Schema 2020-12 mode (OpenAPI 3.1's dialect) straight from the document, so
 * the `$ref`s resolve exactly as a reader of the document would resolve them.
 */
export class OpenApiContract {
  readonly document: Node
  readonly operations: readonly Operation[]
  /** Statuses seen per operationId, for the coverage report. */
  readonly seen = new Map<string, Set<string>>()
  private readonly ajv: Ajv2020
  private readonly validators = new Map<string, ValidateFunction>()

  constructor(file: URL) {
    this.document = parse(readFileSync(file, 'utf8')) as Node
    // Strict, except two checks that reject plain 2020-12 composition: an `allOf` branch that adds `required`
    // for properties declared in another branch, and keywords in a branch without its own `type`.
    this.ajv = new Ajv2020({ strict: true, strictRequired: false, strictTypes: false, allErrors: true, allowUnionTypes: true })
    addFormatsModule.default(this.ajv)
    // Ajv compiles the document's root when a reference points into it; OpenAPI's top-level fields are
    // not JSON Schema keywords, so they are declared (as annotations) to keep strict mode for the schemas.
    this.ajv.addVocabulary(OPENAPI_FIELDS.filter((field) => field in this.document))
    // The SCIM characteristics the document states on attribute properties (scimAttributeProblems below).
    this.ajv.addVocabulary(Object.values(SCIM_KEYWORDS))
    this.ajv.addSchema(this.document, DOCUMENT_ID)
    this.operations = this.collectOperations()
  }

  private collectOperations(): Operation[] {
    const paths = this.document.paths as Record<string, Node>
    const operations: Operation[] = []
    for (const [path, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const node = item[method.toLowerCase()]
        if (!isNode(node)) continue
        operations.push({
          method,
          path,
          operationId: String(node.operationId),
          pointer: `/paths/${pointerSegment(path)}/${method.toLowerCase()}`,
          node,
        })
      }
    }
    return operations
  }

  /** The node at a JSON pointer of the document. */
  at(pointer: string): unknown {
    let node: unknown = this.document
    for (const raw of pointer.split('/').slice(1)) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      node = isNode(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined
    }
    return node
  }

  /** Follows a local `$ref` (one level at a time) and returns the node with its own pointer. */
  private deref(node: unknown, pointer: string): { node: Node; pointer: string } {
    let current = node
    let where = pointer
    for (let hops = 0; isNode(current) && typeof current.$ref === 'string'; hops++) {
      if (hops > 10 || !current.$ref.startsWith('#/')) throw new Error(`Unsupported $ref ${current.$ref} at ${where}`)
      where = current.$ref.slice(1)
      current = this.at(where)
    }
    if (!isNode(current)) throw new Error(`Nothing at ${where}`)
    return { node: current, pointer: where }
  }

  /** A validator for the schema at a pointer of the document (compiled once). */
  validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer)
    if (!validate) {
      const fragment = pointer
        .split('/')
        .map((segment) => encodeURIComponent(segment))
        .join('/')
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${fragment}` })
      this.validators.set(pointer, validate)
    }
    return validate
  }

  private problemsOf(pointer: string, value: unknown, what: string): string[] {
    const validate = this.validator(pointer)
    if (validate(value)) return []
    return (validate.errors ?? []).slice(0, 8).map((e) => `${what}${e.instancePath} ${e.message ?? ''} (${e.schemaPath})`)
  }

  /**
   * The operation a request reaches, matched as the service routes (case-insensitive, trailing slash
   * ignored); a literal segment wins over a template (`/Users/.search` over `/Users/{id}`).
   */
  match(method: string, url: string): { operation: Operation; params: Record<string, string> } | undefined {
    const path = (url.split('?')[0] ?? '').replace(/\/+/g, '/').replace(/(.)\/$/, '$1')
    const candidates: { operation: Operation; params: Record<string, string>; literals: number }[] = []
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase()) continue
      const names: string[] = []
      const pattern = operation.path
        .split('/')
        .map((segment) => {
          const template = /^\{(.+)\}$/.exec(segment)
          if (!template) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          names.push(template[1]!)
          return '([^/]+)'
        })
        .join('/')
      const found = new RegExp(`^${pattern}$`, 'i').exec(path)
      if (!found) continue
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]))
      candidates.push({ operation, params, literals: operation.path.split('/').length - names.length })
    }
    candidates.sort((a, b) => b.literals - a.literals)
    return candidates[0]
  }

  /** The parameters that apply to an operation (path item's, overridden by the operation's), dereferenced. */
  parameters(operation: Operation): { node: Node; pointer: string }[] {
    const itemPointer = operation.pointer.slice(0, operation.pointer.lastIndexOf('/'))
    const fromItem = ((this.at(`${itemPointer}/parameters`) as unknown[] | undefined) ?? []).map((p, i) =>
      this.deref(p, `${itemPointer}/parameters/${i}`),
    )
    const fromOperation = ((operation.node.parameters as unknown[] | undefined) ?? []).map((p, i) =>
      this.deref(p, `${operation.pointer}/parameters/${i}`),
    )
    const byKey = new Map<string, { node: Node; pointer: string }>()
    for (const parameter of [...fromItem, ...fromOperation])
      byKey.set(`${String(parameter.node.in)}:${String(parameter.node.name)}`, parameter)
    return [...byKey.values()]
  }

  /**
   * Everything about an exchange that disagrees with the document; empty when the response (and, for a
   * success, the request that produced it) is one the document describes.
   */
  check(request: SentRequest, response: ReceivedResponse): string[] {
    const matched = this.match(request.method, request.url)
    if (!matched) return [`${request.method} ${request.url}: no operation in openapi.yaml`]
    const { operation, params } = matched
    const label = `${operation.operationId} (${operation.method} ${operation.path}) -> ${response.statusCode}`
    const status = String(response.statusCode)
    let statuses = this.seen.get(operation.operationId)
    if (!statuses) this.seen.set(operation.operationId, (statuses = new Set()))
    statuses.add(status)

    const responses = operation.node.responses as Record<string, unknown>
    if (!(status in responses)) {
      return [`${label}: status not documented (documented: ${Object.keys(responses).join(', ')}); body ${response.body.slice(0, 300)}`]
    }
    const problems: string[] = []
    const documented = this.deref(responses[status], `${operation.pointer}/responses/${status}`)

    // Body and media type.
    const content = documented.node.content as Record<string, unknown> | undefined
    const contentType = response.headers['content-type']
    if (!content) {
      if (response.body !== '') problems.push(`expected no body, got ${response.body.slice(0, 200)}`)
    } else {
      const mediaType = String(contentType ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase()
      if (!(mediaType in content)) {
        problems.push(`Content-Type "${String(contentType)}" is not one of ${Object.keys(content).join(', ')}`)
      } else {
        let body: unknown
        try {
          // Text media types (the Prometheus exposition) are validated as the string they are.
          body = mediaType.startsWith('text/') ? response.body : JSON.parse(response.body)
        } catch {
          problems.push(`body is not JSON: ${response.body.slice(0, 200)}`)
        }
        if (body !== undefined) {
          problems.push(...this.problemsOf(`${documented.pointer}/content/${pointerSegment(mediaType)}/schema`, body, 'body'))
        }
      }
    }

    // Declared headers: present when required, valid when present.
    for (const [name, header] of Object.entries((documented.node.headers as Record<string, unknown> | undefined) ?? {})) {
      const resolved = this.deref(header, `${documented.pointer}/headers/${pointerSegment(name)}`)
      const value = response.headers[name.toLowerCase()]
      if (value === undefined) {
        if (resolved.node.required === true) problems.push(`header ${name} is missing`)
        continue
      }
      problems.push(...this.problemsOf(`${resolved.pointer}/schema`, String(value), `header ${name}`))
    }

    // A request the service accepted must be one the document accepts (the document is not stricter).
    if (response.statusCode >= 200 && response.statusCode < 300) problems.push(...this.checkRequest(operation, params, request))
    return problems.map((problem) => `${label}: ${problem}`)
  }

  private checkRequest(operation: Operation, pathParams: Record<string, string>, request: SentRequest): string[] {
    const problems: string[] = []
    const parameters = this.parameters(operation)
    const query = new URL(request.url, 'http://localhost').searchParams
    for (const [name, value] of query) {
      const parameter = parameters.find((p) => p.node.in === 'query' && String(p.node.name).toLowerCase() === name.toLowerCase())
      if (!parameter) {
        problems.push(`query parameter "${name}" is not documented`)
        continue
      }
      problems.push(...this.problemsOf(`${parameter.pointer}/schema`, coerce(parameter.node.schema, value), `query ${name}`))
    }
    for (const parameter of parameters.filter((p) => p.node.in === 'path')) {
      const value = pathParams[String(parameter.node.name)]
      if (value === undefined) problems.push(`path parameter "${String(parameter.node.name)}" is not in the path`)
      else problems.push(...this.problemsOf(`${parameter.pointer}/schema`, value, `path ${String(parameter.node.name)}`))
    }
    if (request.body !== undefined) {
      if (!operation.node.requestBody) return [...problems, 'a body was accepted but no requestBody is documented']
      const requestBody = this.deref(operation.node.requestBody, `${operation.pointer}/requestBody`)
      const mediaType = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase()
      const content = requestBody.node.content as Record<string, unknown>
      if (!(mediaType in content)) problems.push(`request Content-Type "${mediaType}" is not documented`)
      else
        problems.push(
          ...this.problemsOf(`${requestBody.pointer}/content/${pointerSegment(mediaType)}/schema`, request.body, 'request body'),
        )
    }
    return problems
  }

  /**
   * Where the document and /Schemas disagree on an attribute's mutability or `returned` (RFC 7643 §2.2,
   * §7). `attributes` are those of a resource type as /Schemas publishes them (the common ones and an
   * extension's, under its URN, included); `response` and `request` name the component schemas of the
   * resource as returned and as sent. The document's convention, on each attribute's property:
   * `readOnly: true` is readOnly, `writeOnly: true` is writeOnly, `x-scim-mutability: immutable` is
   * immutable, none of them is readWrite; `x-scim-returned` is `always`, `request` or `never`, absent
   * is `default` (RFC 7643 §2.2's defaults). Every attribute but a `never` one is in the response
   * schema, a `never` one only in the request schema, each documented property is an attribute, and
   * what a property states (wherever it is documented, in either schema) is what /Schemas says.
   */
  scimAttributeProblems(attributes: readonly ScimAttribute[], response: string, request: string): string[] {
    const responseProperties = this.propertiesOf({ $ref: `#/components/schemas/${response}` }, '')
    const requestProperties = this.propertiesOf({ $ref: `#/components/schemas/${request}` }, '')
    // `schemas` is the message's list of schema URNs (RFC 7643 §3), not an attribute.
    responseProperties.delete('schemas')
    requestProperties.delete('schemas')
    return this.attributeProblems(
      attributes,
      { name: response, properties: responseProperties },
      { name: request, properties: requestProperties },
      '',
    )
  }

  private attributeProblems(
    attributes: readonly ScimAttribute[],
    response: DocumentedSchema,
    request: DocumentedSchema,
    prefix: string,
  ): string[] {
    const problems: string[] = []
    const names = new Set(attributes.map((a) => a.name))
    for (const documented of [response, request]) {
      for (const name of documented.properties.keys()) {
        if (!names.has(name)) problems.push(`${documented.name}: ${prefix}${name} is documented but is no attribute in /Schemas`)
      }
    }
    for (const attribute of attributes) {
      const path = `${prefix}${attribute.name}`
      const returned = response.properties.get(attribute.name)
      const sent = request.properties.get(attribute.name)
      if (attribute.returned === 'never') {
        if (returned) problems.push(`${response.name}: ${path} is documented as returned, but /Schemas says it is never returned`)
        if (!sent) problems.push(`${request.name}: ${path} (returned never) is not documented where clients send it`)
      } else if (!returned) {
        problems.push(`${response.name}: ${path} is not documented, but /Schemas says it is returned "${attribute.returned}"`)
      }
      for (const [documented, occurrences] of [
        [response, returned],
        [request, sent],
      ] as const) {
        if (!occurrences) continue
        const stated = this.characteristicsOf(occurrences)
        for (const characteristic of ['mutability', 'returned'] as const) {
          const values = stated[characteristic]
          if (values.length !== 1) problems.push(`${documented.name}: ${path} states conflicting ${characteristic}: ${values.join(', ')}`)
          else if (values[0] !== attribute[characteristic]) {
            problems.push(
              `${documented.name}: ${path} is documented as ${characteristic} "${values[0]}", /Schemas says "${attribute[characteristic]}"`,
            )
          }
        }
      }
      problems.push(
        ...this.attributeProblems(
          attribute.subAttributes ?? [],
          { name: response.name, properties: returned ? this.propertiesOfAll(returned) : new Map() },
          { name: request.name, properties: sent ? this.propertiesOfAll(sent) : new Map() },
          `${path}.`,
        ),
      )
    }
    return problems
  }

  /** A schema's properties by name, through `$ref`, `allOf`/`anyOf`/`oneOf` and array `items`; each with every place it is documented. */
  private propertiesOf(
    node: unknown,
    pointer: string,
    into = new Map<string, Located[]>(),
    seen = new Set<string>(),
  ): Map<string, Located[]> {
    if (!isNode(node)) return into
    if (typeof node.$ref === 'string') {
      const target = this.deref(node, pointer)
      if (!seen.has(target.pointer)) this.propertiesOf(target.node, target.pointer, into, new Set([...seen, target.pointer]))
      return into
    }
    for (const [name, property] of Object.entries((node.properties as Node | undefined) ?? {})) {
      const located = { node: property as Node, pointer: `${pointer}/properties/${pointerSegment(name)}` }
      into.set(name, [...(into.get(name) ?? []), located])
    }
    for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
      ;((node[keyword] as unknown[] | undefined) ?? []).forEach((branch, i) =>
        this.propertiesOf(branch, `${pointer}/${keyword}/${i}`, into, seen),
      )
    }
    if (node.items !== undefined) this.propertiesOf(node.items, `${pointer}/items`, into, seen)
    return into
  }

  private propertiesOfAll(occurrences: readonly Located[]): Map<string, Located[]> {
    const into = new Map<string, Located[]>()
    for (const occurrence of occurrences) this.propertiesOf(occurrence.node, occurrence.pointer, into)
    return into
  }

  /** What a property's occurrences state, following `$ref` and `allOf` (a shape inside `items` or `anyOf` is not the property). */
  private characteristicsOf(occurrences: readonly Located[]): { mutability: string[]; returned: string[] } {
    const mutability = new Set<string>()
    const returned = new Set<string>()
    const visit = (node: unknown, pointer: string, depth: number): void => {
      if (!isNode(node) || depth > 10) return
      if (node.readOnly === true) mutability.add('readOnly')
      if (node.writeOnly === true) mutability.add('writeOnly')
      if (typeof node[SCIM_KEYWORDS.mutability] === 'string') mutability.add(node[SCIM_KEYWORDS.mutability] as string)
      if (typeof node[SCIM_KEYWORDS.returned] === 'string') returned.add(node[SCIM_KEYWORDS.returned] as string)
      if (typeof node.$ref === 'string') {
        const target = this.deref({ $ref: node.$ref }, pointer)
        visit(target.node, target.pointer, depth + 1)
      }
      ;((node.allOf as unknown[] | undefined) ?? []).forEach((branch, i) => visit(branch, `${pointer}/allOf/${i}`, depth + 1))
    }
    for (const occurrence of occurrences) visit(occurrence.node, occurrence.pointer, 0)
    return {
      mutability: mutability.size === 0 ? ['readWrite'] : [...mutability],
      returned: returned.size === 0 ? ['default'] : [...returned],
    }
  }
}

/** The extension keywords openapi.yaml states SCIM characteristics with (scimAttributeProblems). */
const SCIM_KEYWORDS = { mutability: 'x-scim-mutability', returned: 'x-scim-returned' } as const

/** An attribute as /Schemas publishes it (RFC 7643 §7), as far as these checks read it. */
export interface ScimAttribute {
  readonly name: string
  readonly mutability: string
  readonly returned: string
  readonly subAttributes?: readonly ScimAttribute[]
}

interface Located {
  readonly node: Node
  readonly pointer: string
}

interface DocumentedSchema {
  readonly name: string
  readonly properties: Map<string, Located[]>
}

/** Query values arrive as strings; a parameter documented as an integer or a number is checked as one. */
function coerce(schema: unknown, value: string): unknown {
  if (isNode(schema) && schema.type === 'integer' && /^-?\d+$/.test(value)) return Number(value)
  if (isNode(schema) && schema.type === 'number' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  return value
}
