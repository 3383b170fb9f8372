import { t } from '../helpers/file-test.js'
import { resolveAdminToken } from '../../src/auth/admin-token.js'
import { Webhook } from 'standardwebhooks'
import {
  ADMIN_TOKEN_PREFIX,
  generateEndpointId,
  generateToken,
  generateWebhookSecret,
  hashesEqual,
  hashToken,
  SCIM_TOKEN_PREFIX,
} from '../../src/auth/tokens.js'
import { loadConfig } from '../../src/config.js'
import { testDatabases } from '../helpers/databases.js'

t.test('tokens: prefixed, 32 random bytes, hashed with SHA-256', async (t) => {
  const token = generateToken(SCIM_TOKEN_PREFIX)
  t.match(token, /^cpscim_[A-Za-z0-9_-]{43}$/)
  t.not(generateToken(SCIM_TOKEN_PREFIX), token)
  t.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.ok(hashesEqual(hashToken(token), hashToken(token)))
  t.notOk(hashesEqual(hashToken(token), hashToken(`${token}x`)))
  t.notOk(hashesEqual('', ''))
  t.match(generateEndpointId(), /^[0-9a-f]{32}$/)
  const fixed = generateToken(ADMIN_TOKEN_PREFIX, (size) => Buffer.alloc(size, 1))
  t.equal(fixed, `cpadmin_${Buffer.alloc(32, 1).toString('base64url')}`, 'randomness is injectable')
})

t.test('webhook secrets: the Standard Webhooks form, accepted as WEBHOOK_SECRET and by a verifier', async (t) => {
  const secret = generateWebhookSecret()
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.not(generateWebhookSecret(), secret)
  t.equal(
    generateWebhookSecret((size) => Buffer.alloc(size, 7)),
    `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
    'randomness is injectable',
  )
  t.equal(loadConfig({ WEBHOOK_URL: 'https://hooks.example/scim', WEBHOOK_SECRET: secret }).webhookSecret, secret)
  const signed = new Webhook(secret).sign('msg_1', new Date(), '{}')
  t.ok(
    new Webhook(secret).verify('{}', {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signed,
    }),
  )
})

t.test('the admin token: configured, else generated once and stored as a hash', async (t) => {
  const [db] = await testDatabases(t)
  const configured = await resolveAdminToken('my-configured-admin-token-0123456789abc', db!.store.settings)
  t.same(configured, { hash: hashToken('my-configured-admin-token-0123456789abc'), source: 'config' })
  const first = await resolveAdminToken(undefined, db!.store.settings)
  t.equal(first.source, 'generated')
  t.ok(first.generated?.startsWith(ADMIN_TOKEN_PREFIX))
  t.equal(first.hash, hashToken(first.generated!))
  const stored = await db!.rows<{ value: string }>('select value from service_settings')
  t.same(stored, [{ value: first.hash }], 'only the hash is stored')
  const second = await resolveAdminToken(undefined, db!.store.settings)
  t.same(second, { hash: first.hash, source: 'stored' }, 'printed once: a restart does not show it again')
})
