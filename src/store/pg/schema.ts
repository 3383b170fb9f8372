import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

/*
 * Every table holding team data leads its primary key and its indexes with team_id, and no query
 * joins across teams: the data can be distributed by team later.
 * Constraint names are part of the contract with store/pg/errors.ts, which maps them to domain errors.
 */

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
}

/** Compound accounts: global, one per person, found by email compared case-insensitively. */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    displayName: text('display_name'),
    ...timestamps,
  },
  (t) => [uniqueIndex('accounts_email_key').on(sql`lower(${t.email} collate "C")`)],
)

export const teams = pgTable(
  'teams',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    ...timestamps,
  },
  // The webhook deliverer looks for teams created in the last minutes each second (new teams get a
  // WEBHOOK_URL endpoint at once) without reading every team.
  (t) => [index('teams_created_idx').on(t.createdAt)],
)

/** One team per account: account_id is unique across all teams. */
export const teamMemberships = pgTable(
  'team_memberships',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ name: 'team_memberships_pkey', columns: [t.teamId, t.accountId] }),
    uniqueIndex('team_memberships_one_team_key').on(t.accountId),
    uniqueIndex('team_memberships_one_owner_key')
      .on(t.teamId)
      .where(sql`${t.role} = 'owner'`),
    check('team_memberships_role_check', sql`${t.role} in ('owner', 'admin', 'member')`),
  ],
)

export const ssoConfigs = pgTable(
  'sso_configs',
  {
    teamId: text('team_id')
      .primaryKey()
      .references(() => teams.id, { onDelete: 'cascade' }),
    protocol: text('protocol', { enum: ['saml', 'oidc'] }).notNull(),
    active: boolean('active').notNull(),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [check('sso_configs_protocol_check', sql`${t.protocol} in ('saml', 'oidc')`)],
)

/**
 * One row per enablement: re-enabling makes a new endpoint. At most one enabled row per team
 * (the partial unique index turns two concurrent enables into one success and one conflict).
 * token_hash is looked up before the team is known, so its index is the one not led by team_id;
 * under Citus this small table would be a reference table.
 */
export const scimConnections = pgTable(
  'scim_connections',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamps.createdAt,
    rotatedAt: timestamp('rotated_at', { withTimezone: true, mode: 'date' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ name: 'scim_connections_pkey', columns: [t.teamId, t.endpointId] }),
    uniqueIndex('scim_connections_endpoint_key').on(t.endpointId),
    uniqueIndex('scim_connections_token_key').on(t.tokenHash),
    uniqueIndex('scim_connections_one_enabled_key')
      .on(t.teamId)
      .where(sql`${t.disabledAt} is null`),
  ],
)

/**
 * SCIM Users of a team. `doc` is the resource as stored (RFC 7643 attributes, without id and meta);
 * user_name, external_id and active are copies kept for indexes and constraints.
 */
export const scimUsers = pgTable(
  'scim_users',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    userName: text('user_name').notNull(),
    externalId: text('external_id'),
    /**
     * RFC 7643 §4.1.1 active: true, false, or null when a PATCH removed it (RFC 7644 §3.5.2.2: the
     * attribute is then unassigned). Only false means deprovisioned: an unassigned user stays a member.
     */
    active: boolean('active'),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    doc: jsonb('doc').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamps.createdAt,
    lastModified: timestamp('last_modified', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'scim_users_pkey', columns: [t.teamId, t.id] }),
    uniqueIndex('scim_users_user_name_key').on(t.teamId, sql`lower(${t.userName} collate "C")`),
    // Not unique: IdPs may send two users with one email (Entra does not enforce unique mail), and
    // both then stand for the same Compound account (accounts are found by email).
    index('scim_users_account_idx').on(t.teamId, t.accountId),
    index('scim_users_external_id_idx').on(t.teamId, t.externalId),
    // The default list order: a first page (Okta's connection test) reads two index entries, not a sort of the team.
    index('scim_users_created_idx').on(t.teamId, t.createdAt, t.id),
    // Incremental syncs filter on meta.lastModified (gt/ge); a range on this index, not a scan.
    index('scim_users_last_modified_idx').on(t.teamId, t.lastModified, t.id),
    // displayName eq/sw of any length and sortBy=displayName. The expression is the one filter-sql.ts
    // writes for a single-valued string in the document (an index is used only when they are identical).
    index('scim_users_display_name_idx').on(t.teamId, sql`lower(((${t.doc} -> 'displayName') #>> '{}') collate "C")`),
    // `active eq true|false` pages in creation order: the page's own rows, whatever share is deactivated
    // (with created_idx alone, a page of the 10% deactivated read ten users for each one returned).
    index('scim_users_active_created_idx').on(t.teamId, t.active, t.createdAt, t.id),
  ],
)

/**
 * Exact totals for unfiltered and `active eq ...` lists without counting a million rows: kept by
 * triggers on scim_users (migration 0002) in the same transaction as every insert, delete and
 * activation change, so they can never drift from count(*).
 */
export const scimUserCounts = pgTable('scim_user_counts', {
  teamId: text('team_id')
    .primaryKey()
    .references(() => teams.id, { onDelete: 'cascade' }),
  total: bigint('total', { mode: 'number' }).notNull().default(0),
  active: bigint('active', { mode: 'number' }).notNull().default(0),
  /** `active eq false`; total - active - inactive users have `active` unassigned. */
  inactive: bigint('inactive', { mode: 'number' }).notNull().default(0),
})

/**
 * Where recent index pages ended (list-rows.ts, page-keys.ts): the sort key and id of the last row of a
 * page, by list shape and position, so that the next startIndex seeks instead of skipping every row
 * before it. A cache: UNLOGGED (migration 0009; its writes commit without waiting for the WAL, and a
 * crash empties it), read only within PAGE_KEY_TTL, at most PAGE_KEY_SLOTS rows a team whatever the
 * clients send (the slot is a hash of shape and position; a newer page takes an older one's slot).
 * No foreign key: checking one would lock the team's row on every page.
 */
export const scimPageKeys = pgTable(
  'scim_page_keys',
  {
    teamId: text('team_id').notNull(),
    slot: smallint('slot').notNull(),
    /** A hash of the resource type, filter, sortBy and sortOrder. */
    shape: text('shape').notNull(),
    /** The 1-based index of the row the page ended on. */
    position: bigint('position', { mode: 'number' }).notNull(),
    /** The sort key of that row as text (cast back to its type when seeking), and its id (ties). */
    sortKey: text('sort_key').notNull(),
    lastId: uuid('last_id').notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'scim_page_keys_pkey', columns: [t.teamId, t.slot] })],
)

/** SCIM Groups of a team (RFC 7643 §4.2); members are rows of scim_group_members, not part of `doc`. */
export const scimGroups = pgTable(
  'scim_groups',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    displayName: text('display_name').notNull(),
    externalId: text('external_id'),
    doc: jsonb('doc').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamps.createdAt,
    lastModified: timestamp('last_modified', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'scim_groups_pkey', columns: [t.teamId, t.id] }),
    uniqueIndex('scim_groups_display_name_key').on(t.teamId, sql`lower(${t.displayName} collate "C")`),
    index('scim_groups_external_id_idx').on(t.teamId, t.externalId),
    index('scim_groups_created_idx').on(t.teamId, t.createdAt, t.id),
  ],
)

/**
 * Group membership, one row per member, so a PATCH adding ten thousand members inserts rows instead
 * of rewriting a document. Deleting a User deletes its rows (cascade); deactivating does not.
 */
export const scimGroupMembers = pgTable(
  'scim_group_members',
  {
    teamId: text('team_id').notNull(),
    groupId: uuid('group_id').notNull(),
    userId: uuid('user_id').notNull(),
    /** The member's display as the client sent it (RFC 7643 §4.2: member sub-attributes are immutable). */
    display: text('display'),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ name: 'scim_group_members_pkey', columns: [t.teamId, t.groupId, t.userId] }),
    index('scim_group_members_user_idx').on(t.teamId, t.userId),
    foreignKey({
      name: 'scim_group_members_group_fk',
      columns: [t.teamId, t.groupId],
      foreignColumns: [scimGroups.teamId, scimGroups.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'scim_group_members_user_fk',
      columns: [t.teamId, t.userId],
      foreignColumns: [scimUsers.teamId, scimUsers.id],
    }).onDelete('cascade'),
  ],
)

/** The provisioning audit log: admin actions and every SCIM write or rejection. */
export const auditEvents = pgTable(
  'audit_events',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    source: text('source', { enum: ['admin', 'scim'] }).notNull(),
    action: text('action').notNull(),
    outcome: text('outcome').notNull(),
    endpointId: text('endpoint_id'),
    actorId: text('actor_id'),
    resourceId: text('resource_id'),
    accountId: uuid('account_id'),
    detail: text('detail'),
  },
  (t) => [primaryKey({ name: 'audit_events_pkey', columns: [t.teamId, t.id] })],
)

/** Service-wide settings such as the hash of a generated admin token. */
export const serviceSettings = pgTable('service_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

/**
 * The transactional outbox: one row per provisioning change, written by the last statement
 * of the transaction that makes the change. `id` is the feed's order (store/pg/pg-event-store.ts).
 */
export const changeEvents = pgTable(
  'change_events',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    kind: text('kind').notNull(),
    accountId: uuid('account_id'),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    changes: jsonb('changes').notNull(),
  },
  (t) => [
    primaryKey({ name: 'change_events_pkey', columns: [t.teamId, t.id] }),
    // The one index not led by team_id: the all-teams feed reads in id order across teams by nature.
    // Under Citus each shard would serve its own part of that feed. A team's feed reads the primary key.
    index('change_events_id_idx').on(t.id),
  ],
)

/**
 * Webhook delivery state, one row per team and channel: `service` (WEBHOOK_URL, for every team) and
 * `team` (the team's own URL, set through the admin API). The cursor is the last position delivered;
 * a replica delivers a row's events only while it holds the row's lease (claimed FOR UPDATE SKIP LOCKED).
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: ['service', 'team'] }).notNull(),
    url: text('url'),
    /**
     * The team channel's own signing secret (whsec_...), issued when its URL is set and shown once: a
     * team's receiver can check its deliveries without being able to sign the service channel's. It
     * is kept as issued, since signing needs it; null on the service channel (WEBHOOK_SECRET signs it).
     */
    secret: text('secret'),
    cursorId: bigint('cursor_id', { mode: 'number' }).notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    leasedUntil: timestamp('leased_until', { withTimezone: true, mode: 'date' }),
    leaseOwner: text('lease_owner'),
    delivered: bigint('delivered', { mode: 'number' }).notNull().default(0),
    lastDeliveredAt: timestamp('last_delivered_at', { withTimezone: true, mode: 'date' }),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ name: 'webhook_endpoints_pkey', columns: [t.teamId, t.channel] }),
    check('webhook_endpoints_channel_check', sql`${t.channel} in ('service', 'team')`),
  ],
)
