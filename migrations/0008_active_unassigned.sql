ALTER TABLE "scim_users" ALTER COLUMN "active" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "scim_user_counts" ADD COLUMN "inactive" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- `active` may now be unassigned (null): the counters count true and false apart, so `active eq false`
-- is no longer total - active. Same statement-level triggers as migration 0002, one more count each.
CREATE OR REPLACE FUNCTION scim_user_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scim_user_counts AS c (team_id, total, active, inactive)
  SELECT team_id, count(*), count(*) FILTER (WHERE active), count(*) FILTER (WHERE NOT active) FROM scim_new_rows GROUP BY team_id
  ON CONFLICT (team_id) DO UPDATE SET total = c.total + EXCLUDED.total, active = c.active + EXCLUDED.active, inactive = c.inactive + EXCLUDED.inactive;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scim_user_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE scim_user_counts AS c SET total = c.total - d.n, active = c.active - d.a, inactive = c.inactive - d.i
  FROM (
    SELECT team_id, count(*) AS n, count(*) FILTER (WHERE active) AS a, count(*) FILTER (WHERE NOT active) AS i
    FROM scim_old_rows GROUP BY team_id
  ) AS d
  WHERE c.team_id = d.team_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scim_user_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE scim_user_counts AS c SET active = c.active + d.delta, inactive = c.inactive + d.inactive_delta
  FROM (
    SELECT n.team_id,
      sum((CASE WHEN n.active THEN 1 ELSE 0 END) - (CASE WHEN o.active THEN 1 ELSE 0 END)) AS delta,
      sum((CASE WHEN NOT n.active THEN 1 ELSE 0 END) - (CASE WHEN NOT o.active THEN 1 ELSE 0 END)) AS inactive_delta
    FROM scim_new_rows AS n JOIN scim_old_rows AS o ON o.team_id = n.team_id AND o.id = n.id
    GROUP BY n.team_id
  ) AS d
  WHERE c.team_id = d.team_id AND (d.delta <> 0 OR d.inactive_delta <> 0);
  RETURN NULL;
END $$;
--> statement-breakpoint
UPDATE scim_user_counts AS c SET inactive = d.i
FROM (SELECT team_id, count(*) FILTER (WHERE NOT active) AS i FROM scim_users GROUP BY team_id) AS d
WHERE c.team_id = d.team_id;
