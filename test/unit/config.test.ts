import { t } from '../helpers/file-test.js'
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
      adminApiTokenPrevious: undefined,
      publicBaseUrl: 'http://localhost:8080',
      logLevel: 'info',
      publicBaseUrlConfigured: false,
      trustProxy: false,
      preparedStatements: true,
      statementTimeoutMs: 10000,
      filterMatchBudget: 50000,
      metricsToken: undefined,
      metricsTokenPrevious: undefined,
      rateLimitPerMinute: 6000,
      redisUrl: undefined,
      tls: undefined,
      shutdownTimeoutMs: 25000,
      migrateOnStart: true,
      cursorSecret: undefined,
      databasePoolSize: 10,
      auditRetentionDays: 90,
      eventRetentionDays: 30,
      webhookUrl: undefined,
      webhookSecret: undefined,
      webhookTimeoutMs: 10000,
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
  const error = t.throws(() =>
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ADMIN_API_TOKEN: 'short', LOG_LEVEL: 'loud', PUBLIC_BASE_URL: 'ftp://x' }),
  ) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.problems.length, 5)
  t.match(error.problems.join('\n'), /PORT[\s\S]*DATABASE_URL[\s\S]*ADMIN_API_TOKEN[\s\S]*PUBLIC_BASE_URL[\s\S]*LOG_LEVEL/)
})

t.test('database pool size and audit retention', async (t) => {
  t.equal(loadConfig({ DATABASE_POOL_SIZE: '40' }).databasePoolSize, 40)
  t.throws(() => loadConfig({ DATABASE_POOL_SIZE: '0' }), ConfigError, 'a pool of no connections serves nothing')
  t.equal(loadConfig({ AUDIT_RETENTION_DAYS: '0' }).auditRetentionDays, 0, '0 keeps every event')
  t.equal(loadConfig({ AUDIT_RETENTION_DAYS: '365' }).auditRetentionDays, 365)
  t.throws(() => loadConfig({ AUDIT_RETENTION_DAYS: '-1' }), ConfigError)
  t.throws(() => loadConfig({ AUDIT_RETENTION_DAYS: '1.5' }), ConfigError)
})

t.test('change events: retention and webhooks', async (t) => {
  const defaults = loadConfig({})
  t.equal(defaults.eventRetentionDays, 30, 'a month by default')
  t.equal(defaults.webhookUrl, undefined)
  t.equal(defaults.webhookSecret, undefined, 'no secret: no deliveries')
  t.equal(defaults.webhookTimeoutMs, 10_000)
  t.equal(loadConfig({ EVENT_RETENTION_DAYS: '0' }).eventRetentionDays, 0, '0 keeps every event')
  t.throws(() => loadConfig({ EVENT_RETENTION_DAYS: '-1' }), ConfigError)
  const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`
  const config = loadConfig({ WEBHOOK_URL: 'https://hooks.example/scim', WEBHOOK_SECRET: secret, WEBHOOK_TIMEOUT_MS: '5000' })
  t.same([config.webhookUrl, config.webhookSecret, config.webhookTimeoutMs], ['https://hooks.example/scim', secret, 5000])
  t.throws(() => loadConfig({ WEBHOOK_URL: 'https://hooks.example/scim' }), /WEBHOOK_SECRET too/, 'a URL needs the secret to sign with')
  t.throws(() => loadConfig({ WEBHOOK_SECRET: 'not-whsec' }), /whsec_/, 'the Standard Webhooks form')
  t.throws(() => loadConfig({ WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }), ConfigError, 'too short a key')
  t.throws(() => loadConfig({ WEBHOOK_URL: 'ftp://x', WEBHOOK_SECRET: secret }), ConfigError)
  t.throws(
    () => loadConfig({ WEBHOOK_URL: 'https://user:pass@hooks.example/scim', WEBHOOK_SECRET: secret }),
    /no credentials/,
    'no user:password@, as for a team URL (fetch refuses it on every attempt)',
  )
  t.throws(() => loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_TIMEOUT_MS: '999' }), ConfigError, 'a timeout of 1 s at least')
  t.throws(() => loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_TIMEOUT_MS: '60001' }), ConfigError, 'and 60 s at most')
})

t.test('previous tokens for a roll: the same length rules, and only beside a current one', async (t) => {
  const admin = 'a'.repeat(32)
  const metrics = 'm'.repeat(16)
  const config = loadConfig({
    ADMIN_API_TOKEN: admin,
    ADMIN_API_TOKEN_PREVIOUS: 'b'.repeat(32),
    METRICS_TOKEN: metrics,
    METRICS_TOKEN_PREVIOUS: 'n'.repeat(16),
  })
  t.equal(config.adminApiTokenPrevious, 'b'.repeat(32))
  t.equal(config.metricsTokenPrevious, 'n'.repeat(16))
  const short = t.throws(() =>
    loadConfig({ ADMIN_API_TOKEN: admin, ADMIN_API_TOKEN_PREVIOUS: 'short', METRICS_TOKEN: metrics, METRICS_TOKEN_PREVIOUS: 'short' }),
  ) as ConfigError
  t.match(short.problems, [
    /^ADMIN_API_TOKEN_PREVIOUS: must be at least 32 characters/,
    /^METRICS_TOKEN_PREVIOUS: must be at least 16 characters/,
  ])
  const alone = t.throws(() =>
    loadConfig({ ADMIN_API_TOKEN_PREVIOUS: 'b'.repeat(32), METRICS_TOKEN_PREVIOUS: 'n'.repeat(16) }),
  ) as ConfigError
  t.match(alone.problems, [/^ADMIN_API_TOKEN_PREVIOUS: set ADMIN_API_TOKEN too/, /^METRICS_TOKEN_PREVIOUS: set METRICS_TOKEN too/])
})

t.test('in production the service refuses to start without PUBLIC_BASE_URL', async (t) => {
  const serving = { serving: true }
  const behindProxy = t.throws(() => loadConfig({ NODE_ENV: 'production', TRUST_PROXY: 'true' }, serving)) as ConfigError
  t.type(behindProxy, ConfigError)
  t.same(behindProxy.problems, [
    'PUBLIC_BASE_URL: required when NODE_ENV=production; without it endpoint URLs are built from whatever host the admin API was called on (TRUST_PROXY is set)',
  ])
  const direct = t.throws(() => loadConfig({ NODE_ENV: 'production', PORT: '9000' }, serving)) as ConfigError
  t.same(direct.problems, [
    'PUBLIC_BASE_URL: required when NODE_ENV=production; without it endpoint URLs are http://localhost:9000, which identity providers cannot reach',
  ])
  // What .ci/run and the Compose file give the built service.
  t.equal(
    loadConfig({ NODE_ENV: 'production', TRUST_PROXY: 'true', PUBLIC_BASE_URL: 'https://scim.example.com' }, serving).publicBaseUrl,
    'https://scim.example.com',
  )
  t.equal(
    loadConfig({ NODE_ENV: 'development', TRUST_PROXY: 'true' }, serving).publicBaseUrlConfigured,
    false,
    'outside production the forwarded origin is still allowed',
  )
  t.equal(loadConfig({ TRUST_PROXY: 'true' }, serving).publicBaseUrlConfigured, false, 'NODE_ENV unset is not production')
  // `docker run <image> node dist/migrate.js` runs in the same image (NODE_ENV=production) and builds no URL.
  t.equal(loadConfig({ NODE_ENV: 'production' }).publicBaseUrlConfigured, false, 'one-shot jobs do not need it')
})
