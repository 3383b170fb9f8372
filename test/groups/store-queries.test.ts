// The store's ports and queries on both databases, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../store/store-contract.test.ts',
  '../store/team-store.test.ts',
  '../store/page-keys.test.ts',
  '../store/eq-lookup-plans.test.ts',
  '../store/filter-differential.test.ts',
  '../store/filter-explain.test.ts',
  '../store/case-folding.test.ts',
  '../store/user-counts.test.ts',
  '../store/test-databases.test.ts',
])
