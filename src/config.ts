import { z } from 'zod'
import { WebhookUrl } from './events/webhook-url.js'
import { DEFAULT_FILTER_MATCH_BUDGET } from './store/store-errors.js'

/** Logging levels pino understands; `silent` turns logging off (tests). */
const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  ADMIN_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_API_TOKEN_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: LogLevel.default('info'),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|[0-9a-fA-F.:/, ]+)$/, 'must be true, false, or proxy addresses/CIDRs separated by commas')
    .optional(),
  DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true'),
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(50_000).default(10_000),
  FILTER_MATCH_BUDGET: z.coerce.number().int().min(100).max(10_000_000).default(DEFAULT_FILTER_MATCH_BUDGET),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_TOKEN_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(25_000),
  MIGRATE_ON_START: z.enum(['true', 'false']).default('true'),
  CURSOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1_000).default(10),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  WEBHOOK_URL: WebhookUrl.optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be whsec_ followed by at least 24 random bytes in base64 (the Standard Webhooks form)')
    .optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(60_000).default(10_000),
  // Read for one rule only (PUBLIC_BASE_URL in production); nothing else changes with it.
  NODE_ENV: z.string().optional(),
})

export interface Config {
  readonly port: number
  readonly host: string
  /** Unset means the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  readonly adminApiToken: string | undefined
  /** Also accepted while ADMIN_API_TOKEN is rolled out to every replica (its use is logged). */
  readonly adminApiTokenPrevious: string | undefined
  /** No trailing slash. */
  readonly publicBaseUrl: string
  readonly logLevel: z.infer<typeof LogLevel>
  /** PUBLIC_BASE_URL was given (otherwise the default, or the request's forwarded origin behind a proxy). */
  readonly publicBaseUrlConfigured: boolean
  /** Fastify's trustProxy: true, or the proxies' addresses; false when unset. */
  readonly trustProxy: boolean | string
  /** Named prepared statements for the per-request lookups; false behind PgBouncer in transaction mode. */
  readonly preparedStatements: boolean
  /** PostgreSQL statement timeout; lists that hit it are 400 tooMany. */
  readonly statementTimeoutMs: number
  /** On a team larger than this, a list filter must be index-narrowed to at most this many users (else 400 tooMany). */
  readonly filterMatchBudget: number
  /** GET /metrics needs it as a bearer token when set; open otherwise. */
  readonly metricsToken: string | undefined
  /** Also accepted while METRICS_TOKEN is rolled out to every replica (its use is logged). */
  readonly metricsTokenPrevious: string | undefined
  /** Requests per token per minute. */
  readonly rateLimitPerMinute: number
  /** Shares rate-limit counters across replicas; unset, each process counts alone. */
  readonly redisUrl: string | undefined
  /** Serve HTTPS with these PEM files. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined
  /** After SIGTERM, the process exits non-zero if in-flight work has not finished within this (ms). */
  readonly shutdownTimeoutMs: number
  /** Apply pending migrations at start (under an advisory lock); false when a one-shot job runs dist/migrate.js. */
  readonly migrateOnStart: boolean
  /**
   * The HMAC key that signs list cursors (RFC 9865), shared by every replica. Unset: one is generated
   * once and kept in the database, so replicas on one database share it anyway.
   */
  readonly cursorSecret: string | undefined
  /** PostgreSQL connections per process (PGlite has one). */
  readonly databasePoolSize: number
  /** Audit events older than this many days are deleted (hourly, and by dist/prune.js); 0 keeps them all. */
  readonly auditRetentionDays: number
  /** Change events (the feed, webhooks) older than this many days are deleted with the audit log's; 0 keeps them all. */
  readonly eventRetentionDays: number
  /** Every team's change events are posted here (the service channel), besides each team's own URL. */
  readonly webhookUrl: string | undefined
  /** Signs webhook deliveries (Standard Webhooks); without it no webhook is delivered. */
  readonly webhookSecret: string | undefined
  /** One webhook delivery's time limit (ms); a slower receiver counts as failed and gets it again later. */
  readonly webhookTimeoutMs: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * The only reader of the environment. Empty strings count as unset, so `.env` files with
 * `KEY=` lines behave like missing keys. Every problem is reported, one line each.
 *
 * `serving`: the process answers HTTP (server.ts), so the settings that shape its URLs must be
 * right; the one-shot jobs (dist/migrate.js, dist/prune.js) run in the same production image
 * without them.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, { serving = false }: { serving?: boolean } = {}): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  const e = parsed.data
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) {
    throw new ConfigError(['TLS_CERT_FILE, TLS_KEY_FILE: give both to serve HTTPS, or neither'])
  }
  const problems: string[] = []
  // A previous token without a current one would be the only token, and a roll that never ends.
  if (e.ADMIN_API_TOKEN_PREVIOUS && !e.ADMIN_API_TOKEN)
    problems.push('ADMIN_API_TOKEN_PREVIOUS: set ADMIN_API_TOKEN too (the previous token is accepted only beside the current one)')
  if (e.METRICS_TOKEN_PREVIOUS && !e.METRICS_TOKEN)
    problems.push('METRICS_TOKEN_PREVIOUS: set METRICS_TOKEN too (the previous token is accepted only beside the current one)')
  // The default (http://localhost:$PORT) would go to identity providers as the endpoint URL, and
  // behind TRUST_PROXY the URL would follow whatever Host the admin API was called with.
  if (serving && e.NODE_ENV === 'production' && !e.PUBLIC_BASE_URL) {
    problems.push(
      'PUBLIC_BASE_URL: required when NODE_ENV=production; without it endpoint URLs are ' +
        (e.TRUST_PROXY && e.TRUST_PROXY !== 'false'
          ? 'built from whatever host the admin API was called on (TRUST_PROXY is set)'
          : `http://localhost:${e.PORT}, which identity providers cannot reach`),
    )
  }
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) problems.push('WEBHOOK_URL: set WEBHOOK_SECRET too (every delivery is signed)')
  if (problems.length > 0) throw new ConfigError(problems)
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '')
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    adminApiToken: e.ADMIN_API_TOKEN,
    adminApiTokenPrevious: e.ADMIN_API_TOKEN_PREVIOUS,
    publicBaseUrl,
    logLevel: e.LOG_LEVEL,
    publicBaseUrlConfigured: e.PUBLIC_BASE_URL !== undefined,
    trustProxy: e.TRUST_PROXY === undefined || e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    filterMatchBudget: e.FILTER_MATCH_BUDGET,
    metricsToken: e.METRICS_TOKEN,
    metricsTokenPrevious: e.METRICS_TOKEN_PREVIOUS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    redisUrl: e.REDIS_URL,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    migrateOnStart: e.MIGRATE_ON_START === 'true',
    cursorSecret: e.CURSOR_SECRET,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    webhookUrl: e.WEBHOOK_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
  })
}
