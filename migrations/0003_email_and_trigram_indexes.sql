-- Indexes for the lookups IdPs make besides userName and externalId (issue: every filter
-- index-served): emails.value eq, and co/sw/ew substring filters through trigrams.
CREATE EXTENSION IF NOT EXISTS btree_gin;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- The email values of a User document, ASCII-folded as filters compare them (scim/core/case-fold.ts).
CREATE FUNCTION scim_email_values(doc jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(lower((e ->> 'value') COLLATE "C")), '{}')
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(doc -> 'emails') = 'array' THEN doc -> 'emails' ELSE '[]'::jsonb END) AS e
  WHERE jsonb_typeof(e -> 'value') = 'string'
$$;
--> statement-breakpoint
CREATE INDEX scim_users_email_values_idx ON scim_users USING gin (team_id, scim_email_values(doc));
--> statement-breakpoint
CREATE INDEX scim_users_user_name_trgm_idx ON scim_users USING gin (team_id, lower(user_name COLLATE "C") gin_trgm_ops);
