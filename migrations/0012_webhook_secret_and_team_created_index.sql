ALTER TABLE "webhook_endpoints" ADD COLUMN "secret" text;--> statement-breakpoint
CREATE INDEX "teams_created_idx" ON "teams" USING btree ("created_at");