-- emails.value eq runs before nearly every IdP write (the lookup that links a person to an account).
-- With GIN's fast update on, new entries wait in a pending list that every search reads in full until
-- a vacuum merges it (measured after a bulk load of a million users: 13,589 pending entries, 0.99 ms
-- per lookup instead of 0.15 ms). A user has two or three emails, so writing them straight into the
-- index costs little. The trigram indexes keep fast update: each user adds dozens of trigrams there.
ALTER INDEX scim_users_email_values_idx SET (fastupdate = off);
--> statement-breakpoint
SELECT gin_clean_pending_list('scim_users_email_values_idx'::regclass);
