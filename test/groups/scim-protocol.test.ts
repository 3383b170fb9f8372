// Lists, filters, paging and what SCIM reads and writes cost, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../http/sort-paging.test.ts',
  '../http/root-search.test.ts',
  '../http/filter-budget.test.ts',
  '../http/unsupported-endpoints.test.ts',
  '../http/discovery.test.ts',
  '../http/active-unassigned.test.ts',
  '../http/read-statements.test.ts',
  '../http/write-statements.test.ts',
])
