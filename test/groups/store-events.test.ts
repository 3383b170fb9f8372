// Change events, webhooks, the audit log's retention and database failures on both databases, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../store/change-feed.test.ts',
  '../store/webhook-leases.test.ts',
  '../store/webhook-endpoints.test.ts',
  '../store/audit-retention.test.ts',
  '../store/statement-timeout.test.ts',
  '../store/change-listener.test.ts',
])
