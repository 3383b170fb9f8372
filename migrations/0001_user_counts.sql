CREATE TABLE "scim_user_counts" (
	"team_id" text PRIMARY KEY NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	"active" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "scim_user_counts" ADD CONSTRAINT "scim_user_counts_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;