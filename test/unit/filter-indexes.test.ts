import { t } from '../helpers/file-test.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { formatFilter } from '../../src/scim/filter/format.js'
import { indexedPart } from '../../src/store/pg/filter-indexes.js'
import { userSqlResource } from '../../src/store/pg/user-queries.js'

/**
 * How a filter combines what its parts' indexes can do (the HTTP test checks the outcome end to end):
 * a lookup anywhere in an `and` narrows the whole; every branch of an `or` must be narrowed; counters
 * serve `active eq` alone only; the narrowed part a range count runs is implied by the whole filter.
 */
const part = (filter: string) => {
  const p = indexedPart(parseFilter(filter), userSqlResource)
  return p.kind === 'range' ? `range ${formatFilter(p.filter)}` : p.kind === 'none' ? `none ${p.part}` : p.kind
}

const cases: [string, string][] = [
  ['userName eq "a"', 'lookup'],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"', 'lookup'],
  ['emails eq "a@b"', 'lookup'],
  ['emails[type eq "work" and value eq "a@b"]', 'lookup'],
  ['userName eq "a" or externalId eq "b"', 'lookup'],
  ['title co "x" and id eq "0"', 'lookup'],
  ['active eq true', 'counted'],
  ['active eq false and userName sw "a"', 'range userName sw "a"'],
  ['displayName co "abc" and title eq "x"', 'range displayName co "abc"'],
  ['displayName co "abc" and name.familyName sw "smi"', 'range displayName co "abc" and name.familyName sw "smi"'],
  ['userName eq "a" or displayName sw "b"', 'range userName eq "a" or displayName sw "b"'],
  ['emails[value ew "example.com"]', 'range emails[value ew "example.com"]'],
  ['meta.lastModified ge "2026-01-01T00:00:00Z"', 'range meta.lastModified ge "2026-01-01T00:00:00Z"'],
  ['groups.value eq "g"', 'range groups.value eq "g"'],
  ['displayName co "ab"', 'none displayName co "ab"'],
  // A prefix of any length is a btree range on userName and displayName, but needs trigrams elsewhere.
  ['userName sw "a"', 'range userName sw "a"'],
  ['emails.value sw "a"', 'none emails.value sw "a"'],
  ['title eq "x"', 'none title eq "x"'],
  ['active eq true and title eq "x"', 'none title eq "x"'],
  ['active eq true or userName sw "a"', 'none active eq true or userName sw "a"'],
  ['userName sw "a" or title eq "x"', 'none title eq "x"'],
  ['not (userName eq "a")', 'none not (userName eq "a")'],
  ['userName ne "a"', 'none userName ne "a"'],
  ['externalId eq null', 'none externalId eq null'],
  ['userName pr', 'none userName pr'],
  ['emails[type eq "work"]', 'none emails[type eq "work"]'],
  [
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"',
    'none urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"',
  ],
]
for (const [filter, expected] of cases) t.equal(part(filter), expected, filter)
