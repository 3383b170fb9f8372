// The unit tests (no database, no service process), one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../unit/audit-pruning.test.ts',
  '../unit/config.test.ts',
  '../unit/coverage-config.test.ts',
  '../unit/cursor.test.ts',
  '../unit/filter-evaluate.test.ts',
  '../unit/filter-indexes.test.ts',
  '../unit/filter-parser.test.ts',
  '../unit/group-change-events.test.ts',
  '../unit/limits.test.ts',
  '../unit/object-members.test.ts',
  '../unit/paging.test.ts',
  '../unit/patch-apply.test.ts',
  '../unit/patch-dialects.test.ts',
  '../unit/patch-property.test.ts',
  '../unit/patch-request.test.ts',
  '../unit/projection.test.ts',
  '../unit/rate-limit-counters.test.ts',
  '../unit/schemas-rfc.test.ts',
  '../unit/test-groups.test.ts',
  '../unit/tokens.test.ts',
])
