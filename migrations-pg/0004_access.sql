CREATE TABLE "access_rules" (
	"telegram_id" bigint PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"actor_id" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "access_rules_rule_check" CHECK (rule IN ('allow', 'deny'))
);
--> statement-breakpoint
CREATE TABLE "job_starts" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	CONSTRAINT "job_starts_kind_check" CHECK (kind IN ('training', 'generation'))
);
--> statement-breakpoint
ALTER TABLE "job_starts" ADD CONSTRAINT "job_starts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_starts_user_kind_idx" ON "job_starts" USING btree ("user_id","kind","started_at");