-- Substring filters (co, sw, ew) on the string attributes people search by, served by trigrams
-- (pg_trgm, loaded by 0003) instead of a scan of the team. Each expression is exactly the one
-- store/pg/filter-sql.ts writes, or PostgreSQL would not use the index. Like 0003's GIN indexes
-- these do not lead with team_id (a team's posting list would be intersected on every lookup).
-- Terms shorter than 3 characters have no trigram to look up; the store refuses them on large
-- teams (400 tooMany) rather than letting the planner scan.
CREATE INDEX scim_users_display_name_trgm_idx ON scim_users USING gin (lower(((doc -> 'displayName') #>> '{}') COLLATE "C") gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX scim_users_family_name_trgm_idx ON scim_users USING gin (lower((((doc -> 'name') -> 'familyName') #>> '{}') COLLATE "C") gin_trgm_ops);
--> statement-breakpoint
-- The folded email values of a User as one text, one per line: any value containing a term makes
-- the text contain it, so the index narrows emails.value co/sw/ew and the exact test follows.
-- Self-contained (not calling scim_email_values): index builds run with a restricted search_path.
CREATE FUNCTION scim_email_text(doc jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(lower((e ->> 'value') COLLATE "C"), E'\n'), '')
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(doc -> 'emails') = 'array' THEN doc -> 'emails' ELSE '[]'::jsonb END) AS e
  WHERE jsonb_typeof(e -> 'value') = 'string'
$$;
--> statement-breakpoint
CREATE INDEX scim_users_email_trgm_idx ON scim_users USING gin (scim_email_text(doc) gin_trgm_ops);
