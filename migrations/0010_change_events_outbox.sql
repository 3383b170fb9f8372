CREATE TABLE "change_events" (
	"team_id" text NOT NULL,
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "change_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"account_id" uuid,
	"resource_type" text,
	"resource_id" text,
	"changes" jsonb NOT NULL,
	CONSTRAINT "change_events_pkey" PRIMARY KEY("team_id","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"team_id" text NOT NULL,
	"channel" text NOT NULL,
	"url" text,
	"cursor_txid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"cursor_id" bigint DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"leased_until" timestamp with time zone,
	"lease_owner" text,
	"delivered" bigint DEFAULT 0 NOT NULL,
	"last_delivered_at" timestamp with time zone,
	"last_failure_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY("team_id","channel"),
	CONSTRAINT "webhook_endpoints_channel_check" CHECK ("webhook_endpoints"."channel" in ('service', 'team'))
);
--> statement-breakpoint
ALTER TABLE "change_events" ADD CONSTRAINT "change_events_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_events_team_position_idx" ON "change_events" USING btree ("team_id","txid","id");--> statement-breakpoint
CREATE INDEX "change_events_position_idx" ON "change_events" USING btree ("txid","id");