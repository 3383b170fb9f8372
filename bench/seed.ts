import { sql } from 'drizzle-orm'
import type { Db } from '../src/store/pg/database.js'

/**
 * Seeds a team with `count` SCIM users in SQL (generate_series), not through the API: a million
 * users take about a minute instead of hours. Every user has an account, a membership, a userName
 * `user{n}@{team}.example`, externalId `ext-{n}`, two emails and a family name from a small pool.
 * One user in `inactiveEvery` is deactivated (active false), spread through the creation order.
 */
export async function seedTeam(db: Db, teamId: string, count: number, inactiveEvery = 10): Promise<void> {
  await db.execute(sql`insert into teams (id, name) values (${teamId}, ${teamId}) on conflict do nothing`)
  await db.execute(sql`
    insert into accounts (id, email, display_name)
    select md5(${teamId} || n)::uuid, 'user' || n || '@' || ${teamId} || '.example', 'User ' || n
    from generate_series(1, ${count}) as n`)
  await db.execute(sql`
    insert into team_memberships (team_id, account_id, role)
    select ${teamId}, md5(${teamId} || n)::uuid, 'member' from generate_series(1, ${count}) as n`)
  await db.execute(sql`
    insert into scim_users (team_id, id, user_name, external_id, active, account_id, doc, created_at, last_modified)
    select ${teamId}, md5('u' || ${teamId} || n)::uuid, 'user' || n || '@' || ${teamId} || '.example', 'ext-' || n, n % ${inactiveEvery} <> 0,
      md5(${teamId} || n)::uuid,
      jsonb_build_object(
        'userName', 'user' || n || '@' || ${teamId} || '.example',
        'externalId', 'ext-' || n,
        'active', n % ${inactiveEvery} <> 0,
        'displayName', 'User ' || n,
        'name', jsonb_build_object('givenName', 'User', 'familyName', (array['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis'])[1 + n % 8] || n % 1000),
        'emails', jsonb_build_array(
          jsonb_build_object('value', 'user' || n || '@' || ${teamId} || '.example', 'type', 'work', 'primary', true),
          jsonb_build_object('value', 'home' || n || '@mail.example', 'type', 'home'))),
      now() - (${count} - n) * interval '1 second', now()
    from generate_series(1, ${count}) as n`)
  // What autovacuum reaches in a running service: statistics, and GIN pending lists merged into the
  // trigram indexes (a bulk load leaves them full, and every search would read them).
  await db.execute(sql`vacuum analyze`)
}
