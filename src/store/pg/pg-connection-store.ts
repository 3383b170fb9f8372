import { and, desc, eq, isNull, sql } from 'drizzle-orm'
import type { Executor, PgExecutor } from './executor.js'
import { eqLookupPage, firstPageQuery } from './prepared-lookups.js'
import { scimConnections, serviceSettings } from './schema.js'
import { toUserRecord, wholeResult, type UserRow } from './pg-user-store.js'
import type { ConnectionStore, CredentialLookup, ServiceSettings } from '../connection-store.js'
import type { ConnectionWithUsers, ListQuery, ScimConnection } from '../records.js'

const connectionColumns = {
  teamId: scimConnections.teamId,
  endpointId: scimConnections.endpointId,
  createdAt: scimConnections.createdAt,
  rotatedAt: scimConnections.rotatedAt,
  lastUsedAt: scimConnections.lastUsedAt,
  disabledAt: scimConnections.disabledAt,
}

/** A team's SCIM connections, in PostgreSQL or PGlite. */
export class PgConnectionStore implements ConnectionStore {
  private readonly db: Executor

  constructor(executor: PgExecutor) {
    this.db = executor.db
  }

  async getEnabledConnection(teamId: string): Promise<ScimConnection | null> {
    const [row] = await this.db
      .select(connectionColumns)
      .from(scimConnections)
      .where(and(eq(scimConnections.teamId, teamId), isNull(scimConnections.disabledAt)))
    return row ?? null
  }

  async getLatestConnection(teamId: string): Promise<ScimConnection | null> {
    const [row] = await this.db
      .select(connectionColumns)
      .from(scimConnections)
      .where(eq(scimConnections.teamId, teamId))
      .orderBy(desc(scimConnections.createdAt))
      .limit(1)
    return row ?? null
  }

  async insertConnection(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection> {
    const [row] = await this.db.insert(scimConnections).values({ teamId, endpointId, tokenHash }).returning(connectionColumns)
    return row!
  }

  async rotateConnectionToken(teamId: string, endpointId: string, tokenHash: string): Promise<ScimConnection> {
    const [row] = await this.db
      .update(scimConnections)
      .set({ tokenHash, rotatedAt: sql`now()` })
      .where(connection(teamId, endpointId))
      .returning(connectionColumns)
    return row!
  }

  async disableConnection(teamId: string, endpointId: string): Promise<void> {
    // The hash is overwritten, not only flagged: a revoked token can never match again.
    await this.db
      .update(scimConnections)
      .set({ disabledAt: sql`now()`, tokenHash: sql`'revoked:' || ${scimConnections.endpointId}` })
      .where(connection(teamId, endpointId))
  }

  async touchConnection(teamId: string, endpointId: string): Promise<void> {
    await this.db
      .update(scimConnections)
      .set({ lastUsedAt: sql`now()` })
      .where(connection(teamId, endpointId))
  }
}

function connection(teamId: string, endpointId: string) {
  return and(eq(scimConnections.teamId, teamId), eq(scimConnections.endpointId, endpointId))
}

/** The bearer token's lookup, with the users the request asks for when one statement can read both (prepared-lookups.ts). */
export class PgCredentialLookup implements CredentialLookup {
  constructor(private readonly executor: PgExecutor) {}

  async findConnectionByTokenHash(tokenHash: string, usersQuery?: ListQuery): Promise<ConnectionWithUsers | null> {
    const { lookups } = this.executor
    const eqLookup = usersQuery && eqLookupPage(usersQuery)
    const firstPage = usersQuery !== undefined && firstPageQuery(usersQuery)
    if (!eqLookup && !firstPage) {
      const [credential] = await lookups.tokenLookup.execute({ tokenHash })
      return credential ? { credential, users: undefined } : null
    }
    const paged = eqLookup ? undefined : await lookups.tokenAndFirstPage.execute({ tokenHash, limit: usersQuery.count })
    const rows =
      paged ?? (await lookups.tokenAnd[eqLookup!.lookup].execute({ tokenHash, value: eqLookup!.value, limit: usersQuery.count + 1 }))
    const [first] = rows
    if (!first) return null
    const { teamId, endpointId, tokenHash: storedHash, lastUsedAt, ssoActive } = first
    // The lateral join's row without a match has null user columns (id is never null otherwise).
    const matches = rows.flatMap((row) => (row.id === null ? [] : [toUserRecord(row as UserRow)]))
    return {
      credential: { teamId, endpointId, tokenHash: storedHash, lastUsedAt, ssoActive },
      // The first page's total is the team's counter, read in the same statement.
      users: paged ? { totalResults: paged[0]!.total, resources: matches } : wholeResult(matches, usersQuery.count),
    }
  }
}

/** service_settings, in PostgreSQL or PGlite. */
export class PgServiceSettings implements ServiceSettings {
  private readonly db: Executor

  constructor(executor: PgExecutor) {
    this.db = executor.db
  }

  async getSetting(key: string): Promise<string | null> {
    const [row] = await this.db.select().from(serviceSettings).where(eq(serviceSettings.key, key))
    return row?.value ?? null
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.db.insert(serviceSettings).values({ key, value }).onConflictDoNothing()
    const [row] = await this.db.select().from(serviceSettings).where(eq(serviceSettings.key, key))
    return row!.value
  }
}
