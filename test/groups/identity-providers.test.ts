// Each identity provider's recorded traffic and the OpenAPI contract, one process for the files (test/helpers/file-test.ts says why).
import { runFiles } from '../helpers/file-test.js'

await runFiles(import.meta.url, [
  '../idp/okta.test.ts',
  '../idp/okta-groups.test.ts',
  '../idp/entra.test.ts',
  '../idp/onelogin.test.ts',
  '../idp/jumpcloud.test.ts',
  '../idp/ping-google-rippling.test.ts',
  '../contract/openapi.test.ts',
])
