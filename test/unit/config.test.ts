import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('defaults: PGlite in ./data on 0.0.0.0:8080', async (t) => {
  const config = loadConfig({})
  t.same(
    { ...config },
    {
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: './data',
      adminApiToken: undefined,
      publicBaseUrl: 'http://localhost:8080',
      logLevel: 'info',
      publicBaseUrlConfigured: false,
      trustProxy: false,
      preparedStatements: true,
      statementTimeoutMs: 10000,
      filterMatchBudget: 50000,
      metricsToken: undefined,
      rateLimitPerMinute: 6000,
      redisUrl: undefined,
      tls: undefined,
      shutdownTimeoutMs: 25000,
      migrateOnStart: true,
      cursorSecret: undefined,
    },
  )
  t.ok(Object.isFrozen(config))
  t.equal(loadConfig({ PORT: '9000', DATABASE_URL: '' }).publicBaseUrl, 'http://localhost:9000', 'empty values count as unset')
  t.equal(loadConfig({ PUBLIC_BASE_URL: 'https://scim.example.com/' }).publicBaseUrl, 'https://scim.example.com', 'no trailing slash kept')
})

t.test('list limits', async (t) => {
  t.equal(loadConfig({ FILTER_MATCH_BUDGET: '200000' }).filterMatchBudget, 200000)
  t.throws(() => loadConfig({ FILTER_MATCH_BUDGET: '10' }), ConfigError, 'a budget below 100 would refuse nearly every filter')
  t.throws(() => loadConfig({ FILTER_MATCH_BUDGET: 'lots' }), ConfigError)
})

t.test('proxy and TLS settings', async (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8, 127.0.0.1')
  t.same(loadConfig({ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' }).tls, { certFile: 'c.pem', keyFile: 'k.pem' })
  t.throws(() => loadConfig({ TLS_CERT_FILE: 'c.pem' }), ConfigError)
  t.throws(() => loadConfig({ TRUST_PROXY: 'yes please' }), ConfigError)
})

t.test('every problem is reported, one line each', async (t) => {
  const error = t.throws(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ADMIN_API_TOKEN: 'short', LOG_LEVEL: 'loud', PUBLIC_BASE_URL: 'ftp://x' })) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.problems.length, 5)
  t.match(error.problems.join('\n'), /PORT[\s\S]*DATABASE_URL[\s\S]*ADMIN_API_TOKEN[\s\S]*PUBLIC_BASE_URL[\s\S]*LOG_LEVEL/)
})
