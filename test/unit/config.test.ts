import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('defaults: PGlite in ./data on 0.0.0.0:8080', async (t) => {
  const config = loadConfig({})
  t.same(
    { ...config },
    { port: 8080, host: '0.0.0.0', databaseUrl: undefined, dataDir: './data', adminApiToken: undefined, publicBaseUrl: 'http://localhost:8080', logLevel: 'info' },
  )
  t.ok(Object.isFrozen(config))
  t.equal(loadConfig({ PORT: '9000', DATABASE_URL: '' }).publicBaseUrl, 'http://localhost:9000', 'empty values count as unset')
  t.equal(loadConfig({ PUBLIC_BASE_URL: 'https://scim.example.com/' }).publicBaseUrl, 'https://scim.example.com', 'no trailing slash kept')
})

t.test('every problem is reported, one line each', async (t) => {
  const error = t.throws(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ADMIN_API_TOKEN: 'short', LOG_LEVEL: 'loud', PUBLIC_BASE_URL: 'ftp://x' })) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.problems.length, 5)
  t.match(error.problems.join('\n'), /PORT[\s\S]*DATABASE_URL[\s\S]*ADMIN_API_TOKEN[\s\S]*PUBLIC_BASE_URL[\s\S]*LOG_LEVEL/)
})
