DROP INDEX "change_events_team_position_idx";--> statement-breakpoint
DROP INDEX "change_events_position_idx";--> statement-breakpoint
CREATE INDEX "change_events_id_idx" ON "change_events" USING btree ("id");--> statement-breakpoint
ALTER TABLE "change_events" DROP COLUMN "txid";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" DROP COLUMN "cursor_txid";