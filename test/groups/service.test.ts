// The admin API, the change feed over HTTP and what an operator sees, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../http/admin-api.test.ts',
  '../http/change-feed.test.ts',
  '../http/log-privacy.test.ts',
  '../http/metrics.test.ts',
  '../http/operability.test.ts',
  '../http/rate-limit.test.ts',
  '../http/tls-proxy.test.ts',
])
