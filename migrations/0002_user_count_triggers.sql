-- Per-team user totals kept by statement-level triggers (one update per statement, however many
-- rows it touched), in the same transaction as the write. See scimUserCounts in schema.ts.
CREATE FUNCTION scim_user_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scim_user_counts AS c (team_id, total, active)
  SELECT team_id, count(*), count(*) FILTER (WHERE active) FROM scim_new_rows GROUP BY team_id
  ON CONFLICT (team_id) DO UPDATE SET total = c.total + EXCLUDED.total, active = c.active + EXCLUDED.active;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION scim_user_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE scim_user_counts AS c SET total = c.total - d.n, active = c.active - d.a
  FROM (SELECT team_id, count(*) AS n, count(*) FILTER (WHERE active) AS a FROM scim_old_rows GROUP BY team_id) AS d
  WHERE c.team_id = d.team_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION scim_user_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE scim_user_counts AS c SET active = c.active + d.delta
  FROM (
    SELECT n.team_id, sum((CASE WHEN n.active THEN 1 ELSE 0 END) - (CASE WHEN o.active THEN 1 ELSE 0 END)) AS delta
    FROM scim_new_rows AS n JOIN scim_old_rows AS o ON o.team_id = n.team_id AND o.id = n.id
    GROUP BY n.team_id
  ) AS d
  WHERE c.team_id = d.team_id AND d.delta <> 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER scim_user_counts_on_insert AFTER INSERT ON scim_users
  REFERENCING NEW TABLE AS scim_new_rows FOR EACH STATEMENT EXECUTE FUNCTION scim_user_counts_insert();
--> statement-breakpoint
CREATE TRIGGER scim_user_counts_on_delete AFTER DELETE ON scim_users
  REFERENCING OLD TABLE AS scim_old_rows FOR EACH STATEMENT EXECUTE FUNCTION scim_user_counts_delete();
--> statement-breakpoint
CREATE TRIGGER scim_user_counts_on_update AFTER UPDATE ON scim_users
  REFERENCING OLD TABLE AS scim_old_rows NEW TABLE AS scim_new_rows FOR EACH STATEMENT EXECUTE FUNCTION scim_user_counts_update();
--> statement-breakpoint
INSERT INTO scim_user_counts (team_id, total, active)
SELECT team_id, count(*), count(*) FILTER (WHERE active) FROM scim_users GROUP BY team_id
ON CONFLICT (team_id) DO UPDATE SET total = EXCLUDED.total, active = EXCLUDED.active;
