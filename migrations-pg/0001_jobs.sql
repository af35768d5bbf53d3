ALTER TABLE "processed_updates" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "processed_updates" CASCADE;--> statement-breakpoint
ALTER TABLE "generations" DROP CONSTRAINT "generations_status_check";--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "intent_key" text;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "fal_output" jsonb;--> statement-breakpoint
ALTER TABLE "generations" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "generations_deadline_idx" ON "generations" USING btree ("deadline_at");--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_intent_key_unique" UNIQUE("intent_key");--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_status_check" CHECK (status IN ('QUEUED', 'SUBMITTING', 'RUNNING', 'DELIVERING', 'SUCCEEDED', 'FAILED'));