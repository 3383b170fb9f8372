import { readFileSync } from 'node:fs'
import { t } from '../helpers/file-test.js'
import { RESOURCE_TYPES, resourceTypeDocument, SCHEMAS, schemaDocument, serviceProviderConfig } from '../../src/scim/core/discovery.js'
import { attribute } from '../../src/scim/core/attribute.js'
import { commonAttributes } from '../../src/scim/core/schemas.js'

// The discovery documents as the routes serve them (src/http/routes/scim/discovery.ts calls these same
// functions), compared with RFC 7643's own schema representations (§8.7.1, §8.7.2) in
// test/fixtures/rfc7643-schemas.json: its header says where each fact comes from and which errata it applies.

/** An attribute definition as RFC 7643 §7 writes it, in the fixture or in a served /Schemas document. */
interface Definition {
  readonly name: string
  readonly type?: string
  readonly multiValued?: boolean
  readonly required?: boolean
  readonly caseExact?: boolean
  readonly mutability?: string
  readonly returned?: string
  readonly uniqueness?: string
  readonly canonicalValues?: readonly string[]
  readonly referenceTypes?: readonly string[]
  readonly subAttributes?: readonly Definition[]
}

interface SchemaRepresentation {
  readonly id: string
  readonly name: string
  readonly attributes: readonly Definition[]
}

interface Erratum {
  readonly id: number
  readonly path: string
  readonly characteristic: keyof Definition
  readonly corrected: unknown
}

const rfc = JSON.parse(readFileSync(new URL('../fixtures/rfc7643-schemas.json', import.meta.url), 'utf8')) as {
  readonly errataApplied: readonly Erratum[]
  readonly commonAttributes: readonly Definition[]
  readonly resourceSchemas: readonly SchemaRepresentation[]
  readonly serviceProviderSchemas: readonly SchemaRepresentation[]
}

const BASE = 'https://scim.example.test/scim/v2/e1'
const served = SCHEMAS.map((schema) => schemaDocument(schema, BASE) as unknown as SchemaRepresentation)

/** The RFC schema representation with this id. */
function rfcSchema(list: readonly SchemaRepresentation[], id: string): SchemaRepresentation {
  const schema = list.find((s) => s.id === id)
  if (!schema) throw new Error(`${id} is not in test/fixtures/rfc7643-schemas.json`)
  return schema
}

/**
 * The §7 characteristics of a definition. RFC 7643 §2.2 gives the default of one left out (the RFC's own
 * representations leave out caseExact and uniqueness on booleans, for one); canonicalValues and
 * referenceTypes compare as sets, absent being "none assigned".
 */
function characteristics(a: Definition): Record<string, unknown> {
  return {
    type: a.type ?? 'string',
    multiValued: a.multiValued ?? false,
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: a.returned ?? 'default',
    uniqueness: a.uniqueness ?? 'none',
    canonicalValues: [...(a.canonicalValues ?? [])].sort(),
    referenceTypes: [...(a.referenceTypes ?? [])].sort(),
  }
}

/** Every difference between the RFC's attributes and ours, one line each, sub-attributes included. */
function differences(schema: string, expected: readonly Definition[], actual: readonly Definition[], prefix = ''): string[] {
  const lines: string[] = []
  for (const want of expected) {
    const path = `${schema} ${prefix}${want.name}`
    const got = actual.find((a) => a.name === want.name)
    if (!got) {
      lines.push(`${path}: in RFC 7643, not served`)
      continue
    }
    const [w, g] = [characteristics(want), characteristics(got)]
    for (const key of Object.keys(w)) {
      if (JSON.stringify(w[key]) !== JSON.stringify(g[key]))
        lines.push(`${path} ${key}: RFC ${JSON.stringify(w[key])}, served ${JSON.stringify(g[key])}`)
    }
    lines.push(...differences(schema, want.subAttributes ?? [], got.subAttributes ?? [], `${prefix}${want.name}.`))
  }
  for (const got of actual) {
    if (!expected.some((e) => e.name === got.name)) lines.push(`${schema} ${prefix}${got.name}: served, not in RFC 7643`)
  }
  return lines
}

/**
 * Where /Schemas says something other than RFC 7643 §8.7.1 (with the verified errata), on purpose. The test
 * asserts this is exactly the set of differences: a new one fails until it is listed here with its reason,
 * and one that is mended fails until its line is removed.
 */
const SCHEMA_DEVIATIONS: Readonly<Record<string, string>> = {
  'User addresses.primary: served, not in RFC 7643':
    'RFC 7643 §2.4 gives every multi-valued attribute a primary sub-attribute and §8.2 uses it on addresses; §8.7.1 leaves it out.',
  'User groups returned: RFC "default", served "request"':
    "Reading a User's groups costs a query that the lookups IdPs make before every write never need (8cf47e6).",
  'Group displayName uniqueness: RFC "none", served "server"':
    'A team holds one Group per displayName (compared case-insensitively): a second is a 409 uniqueness.',
  'Group members.value caseExact: RFC false, served true': "It holds a User's id, which RFC 7643 §3.1 makes caseExact.",
  'Group members.$ref referenceTypes: RFC ["Group","User"], served ["User"]':
    'Members are Users of the team only: any other member is refused with 400 (src/provisioning/group-provisioning.ts).',
  'Group members.type canonicalValues: RFC ["Group","User"], served ["User"]':
    'Members are Users of the team only: no member is ever a Group.',
  'Group members.display: served, not in RFC 7643':
    "RFC 7643 §2.4 and the §8.4 example give members a display; kept as the client sent it, else the User's userName.",
  'EnterpriseUser manager.value caseExact: RFC false, served true':
    "It holds the manager's User id (RFC 7643 §4.3), which RFC 7643 §3.1 makes caseExact.",
}

t.test('/Schemas serves the three schemas of RFC 7643 §8.7.1 under their names', async (t) => {
  const byId = (a: SchemaRepresentation, b: SchemaRepresentation) => a.id.localeCompare(b.id)
  t.same(
    [...served].sort(byId).map((s) => [s.id, s.name]),
    [...rfc.resourceSchemas].sort(byId).map((s) => [s.id, s.name]),
  )
})

t.test(
  'every attribute and sub-attribute of /Schemas has the RFC 7643 §8.7.1 characteristics, but for the listed deviations',
  async (t) => {
    const found = served.flatMap((schema) =>
      differences(schema.name, rfcSchema(rfc.resourceSchemas, schema.id).attributes, schema.attributes),
    )
    t.same(found.sort(), Object.keys(SCHEMA_DEVIATIONS).sort())
  },
)

/** Every definition in a list of attributes, sub-attributes included, with its dotted path. */
function walk(attributes: readonly Definition[], prefix = ''): [string, Definition][] {
  return attributes.flatMap((a) => [
    [`${prefix}${a.name}`, a] as [string, Definition],
    ...walk(a.subAttributes ?? [], `${prefix}${a.name}.`),
  ])
}

t.test('every reference attribute in /Schemas names its referenceTypes, and no other attribute has any (RFC 7643 §7)', async (t) => {
  // python-scim's scim2-client cannot build a model from a reference attribute without referenceTypes.
  for (const schema of served) {
    for (const [path, a] of walk(schema.attributes)) {
      if (a.type === 'reference') t.ok(a.referenceTypes && a.referenceTypes.length > 0, `${schema.name} ${path} has referenceTypes`)
      else t.equal(a.referenceTypes, undefined, `${schema.name} ${path} is not a reference and has no referenceTypes`)
    }
  }
})

// Checked by `npx tsc`, not at run time: attribute() refuses a reference without referenceTypes, and
// referenceTypes on any other type (RFC 7643 §7), so the next reference attribute cannot forget them.
void (() => [
  // @ts-expect-error a reference attribute needs its referenceTypes
  attribute('website', 'reference', 'A URL.'),
  // @ts-expect-error referenceTypes belong to reference attributes only
  attribute('nickName', 'string', 'A name.', { referenceTypes: ['external'] }),
])

t.test('the fixture holds the corrected value of every erratum it says it applied', async (t) => {
  for (const erratum of rfc.errataApplied) {
    const [schemaName, path] = erratum.path.split(' ') as [string, string]
    const schema = [...rfc.resourceSchemas, ...rfc.serviceProviderSchemas].find((s) => s.name === schemaName)!
    const definition = walk(schema.attributes).find(([p]) => p === path)?.[1]
    t.same(definition?.[erratum.characteristic], erratum.corrected, `erratum ${erratum.id}: ${erratum.path}`)
  }
})

t.test('id, externalId and meta have the characteristics RFC 7643 §3.1 states for them', async (t) => {
  const ours = new Map(walk(commonAttributes))
  for (const [path, stated] of walk(rfc.commonAttributes)) {
    const definition = ours.get(path)
    t.ok(definition, `${path} is defined`)
    for (const [key, value] of Object.entries(stated)) {
      if (key === 'name' || key === 'subAttributes') continue
      t.same(definition?.[key as keyof Definition], value, `${path} ${key}`)
    }
  }
})

/**
 * What is wrong with a served document against an RFC schema representation: a required attribute absent,
 * a value of the wrong JSON type or multiplicity (RFC 7643 §2.3). Attributes the schema does not define
 * are collected in `extra` by dotted path.
 */
function valueProblems(value: Record<string, unknown>, attributes: readonly Definition[], prefix: string, extra: Set<string>): string[] {
  const problems: string[] = []
  for (const a of attributes) {
    const path = `${prefix}${a.name}`
    const v = value[a.name]
    if (v === undefined || v === null) {
      if (a.required) problems.push(`${path}: required, absent`)
      continue
    }
    if ((a.multiValued ?? false) !== Array.isArray(v)) {
      problems.push(`${path}: multiValued is ${a.multiValued}, value is ${JSON.stringify(v)}`)
      continue
    }
    for (const item of [v].flat()) problems.push(...singleValueProblems(item, a, path, extra))
  }
  for (const key of Object.keys(value)) if (!attributes.some((a) => a.name === key)) extra.add(`${prefix}${key}`)
  return problems
}

function singleValueProblems(v: unknown, a: Definition, path: string, extra: Set<string>): string[] {
  const type = a.type ?? 'string'
  const ok =
    type === 'boolean'
      ? typeof v === 'boolean'
      : type === 'integer'
        ? Number.isInteger(v)
        : type === 'decimal'
          ? typeof v === 'number'
          : type === 'complex'
            ? typeof v === 'object' && v !== null && !Array.isArray(v)
            : typeof v === 'string'
  if (!ok) return [`${path}: ${type} expected, got ${JSON.stringify(v)}`]
  if (type === 'complex') return valueProblems(v as Record<string, unknown>, a.subAttributes ?? [], `${path}.`, extra)
  // RFC 7643 §7: an "external" reference is a resource outside the service, reached by a URL.
  if (type === 'reference' && a.referenceTypes?.includes('external') && !URL.canParse(v as string))
    return [`${path}: ${JSON.stringify(v)} is not a URL`]
  return []
}

const limits = { maxResults: 100, maxOperations: 10, maxPayloadSize: 1_000_000 }

/** Attributes /ServiceProviderConfig carries that the §8.7.2 ServiceProviderConfig schema does not define. */
const SERVICE_PROVIDER_CONFIG_EXTRAS: Readonly<Record<string, string>> = {
  pagination: 'RFC 9865 §4 adds it to the ServiceProviderConfig schema (cursor and index paging).',
  'authenticationSchemes.type': 'RFC 7643 §5 makes it REQUIRED; the §8.7.2 representation leaves it out (erratum 8011, reported).',
  'authenticationSchemes.primary': 'Used by the RFC 7643 §8.5 example; the §8.7.2 representation leaves it out (erratum 8011, reported).',
}

t.test('/ServiceProviderConfig has every attribute the RFC 7643 §8.7.2 schema requires, each of its type', async (t) => {
  const document = serviceProviderConfig(limits, `${BASE}/ServiceProviderConfig`)
  const { schemas, meta, ...attributes } = document
  t.same(schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'])
  t.same(meta.resourceType, 'ServiceProviderConfig')
  const extra = new Set<string>()
  const schema = rfcSchema(rfc.serviceProviderSchemas, 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig')
  t.same(valueProblems(attributes, schema.attributes, '', extra), [])
  t.same([...extra].sort(), Object.keys(SERVICE_PROVIDER_CONFIG_EXTRAS).sort())
  // RFC 7643 §5: the values this specification defines for an authentication scheme's type.
  for (const scheme of document.authenticationSchemes) {
    t.ok(['oauth', 'oauth2', 'oauthbearertoken', 'httpbasic', 'httpdigest'].includes(scheme.type), scheme.type)
  }
})

t.test(
  '/ResourceTypes: each resource type has every attribute the RFC 7643 §8.7.2 schema requires, and names served schemas',
  async (t) => {
    const schema = rfcSchema(rfc.serviceProviderSchemas, 'urn:ietf:params:scim:schemas:core:2.0:ResourceType')
    const servedIds = served.map((s) => s.id)
    for (const type of RESOURCE_TYPES) {
      const { schemas, meta, ...attributes } = resourceTypeDocument(type, BASE)
      t.same(schemas, ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'])
      t.equal(meta.resourceType, 'ResourceType')
      const extra = new Set<string>()
      t.same(valueProblems(attributes, schema.attributes, '', extra), [], type.id)
      t.same([...extra], [], `${type.id}: nothing the ResourceType schema does not define`)
      // RFC 7643 §6: endpoint is relative to the base URL; schema and each extension are the id of a Schema.
      t.match(attributes.endpoint, /^\/[A-Za-z]+$/)
      t.ok(servedIds.includes(attributes.schema), `${type.id} schema ${attributes.schema} is served at /Schemas`)
      for (const extension of attributes.schemaExtensions)
        t.ok(servedIds.includes(extension.schema), `${type.id} extension ${extension.schema} is served`)
    }
  },
)
