-- A cache of where recent index pages ended (schema.ts scimPageKeys): UNLOGGED, so its writes commit without
-- waiting for the WAL and a crash empties it (lists then page by OFFSET until the keys are written again).
CREATE UNLOGGED TABLE "scim_page_keys" (
	"team_id" text NOT NULL,
	"slot" smallint NOT NULL,
	"shape" text NOT NULL,
	"position" bigint NOT NULL,
	"sort_key" text NOT NULL,
	"last_id" uuid NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_page_keys_pkey" PRIMARY KEY("team_id","slot")
);
--> statement-breakpoint
CREATE INDEX "scim_users_active_created_idx" ON "scim_users" USING btree ("team_id","active","created_at","id");