// Users and Groups over the SCIM API, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../http/users.test.ts',
  '../http/groups.test.ts',
  '../http/patch-robustness.test.ts',
  '../http/transport-errors.test.ts',
  '../http/tenant-isolation.test.ts',
])
