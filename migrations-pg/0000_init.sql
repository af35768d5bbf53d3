CREATE TABLE "avatar_photos" (
	"id" text PRIMARY KEY NOT NULL,
	"avatar_id" text NOT NULL,
	"user_id" text NOT NULL,
	"minio_key" text NOT NULL,
	"file_hash" text NOT NULL,
	"upload_order" integer NOT NULL,
	"validation_status" text DEFAULT 'PENDING' NOT NULL,
	"file_size" integer NOT NULL,
	"width" integer,
	"height" integer,
	"format" text NOT NULL,
	"has_face" boolean,
	"quality_score" double precision,
	"validation_error" text,
	"photo_metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "avatar_photos_status_check" CHECK (validation_status IN ('PENDING', 'VALID', 'INVALID')),
	CONSTRAINT "avatar_photos_quality_check" CHECK (quality_score IS NULL OR quality_score BETWEEN 0 AND 1)
);
--> statement-breakpoint
CREATE TABLE "avatars" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text,
	"gender" text,
	"avatar_type" text,
	"status" text DEFAULT 'DRAFT' NOT NULL,
	"finetune_id" text,
	"fal_request_id" text,
	"fal_endpoint" text,
	"training_error" text,
	"last_status_check_at" timestamp with time zone,
	"training_progress" integer DEFAULT 0 NOT NULL,
	"training_started_at" timestamp with time zone,
	"training_completed_at" timestamp with time zone,
	"fal_mode" text,
	"fal_iterations" integer NOT NULL,
	"fal_priority" text NOT NULL,
	"trigger_word" text NOT NULL,
	"lora_rank" integer NOT NULL,
	"avatar_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"training_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"photos_count" integer DEFAULT 0 NOT NULL,
	"generations_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "avatars_trigger_word_unique" UNIQUE("trigger_word"),
	CONSTRAINT "avatars_status_check" CHECK (status IN ('DRAFT', 'PHOTOS_UPLOADING', 'READY_FOR_TRAINING', 'TRAINING', 'COMPLETED', 'ERROR', 'CANCELLED')),
	CONSTRAINT "avatars_gender_check" CHECK (gender IS NULL OR gender IN ('MALE', 'FEMALE', 'OTHER')),
	CONSTRAINT "avatars_type_check" CHECK (avatar_type IS NULL OR avatar_type IN ('CHARACTER', 'STYLE', 'CUSTOM')),
	CONSTRAINT "avatars_priority_check" CHECK (fal_priority IN ('speed', 'balanced', 'quality')),
	CONSTRAINT "avatars_progress_check" CHECK (training_progress BETWEEN 0 AND 100),
	CONSTRAINT "avatars_counts_check" CHECK (photos_count >= 0 AND generations_count >= 0)
);
--> statement-breakpoint
CREATE TABLE "bot_cache" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "generations" (
	"id" text PRIMARY KEY NOT NULL,
	"avatar_id" text NOT NULL,
	"user_id" text NOT NULL,
	"prompt" text NOT NULL,
	"preset" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"seed" bigint,
	"fal_request_id" text,
	"status" text DEFAULT 'QUEUED' NOT NULL,
	"error" text,
	"result_keys" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "generations_fal_request_id_unique" UNIQUE("fal_request_id"),
	CONSTRAINT "generations_status_check" CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'))
);
--> statement-breakpoint
CREATE TABLE "metrics_counters" (
	"name" text NOT NULL,
	"label" text NOT NULL,
	"value" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "metrics_counters_name_label_pk" PRIMARY KEY("name","label")
);
--> statement-breakpoint
CREATE TABLE "processed_updates" (
	"update_id" bigint PRIMARY KEY NOT NULL,
	"processed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"telegram_id" bigint NOT NULL,
	"language_code" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"username" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "users_telegram_id_unique" UNIQUE("telegram_id")
);
--> statement-breakpoint
ALTER TABLE "avatar_photos" ADD CONSTRAINT "avatar_photos_avatar_id_avatars_id_fk" FOREIGN KEY ("avatar_id") REFERENCES "public"."avatars"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "avatar_photos" ADD CONSTRAINT "avatar_photos_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "avatars" ADD CONSTRAINT "avatars_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_avatar_id_avatars_id_fk" FOREIGN KEY ("avatar_id") REFERENCES "public"."avatars"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generations" ADD CONSTRAINT "generations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "avatar_photos_avatar_order_idx" ON "avatar_photos" USING btree ("avatar_id","upload_order");--> statement-breakpoint
CREATE UNIQUE INDEX "avatar_photos_avatar_hash_idx" ON "avatar_photos" USING btree ("avatar_id","file_hash");--> statement-breakpoint
CREATE INDEX "avatar_photos_user_hash_idx" ON "avatar_photos" USING btree ("user_id","file_hash");--> statement-breakpoint
CREATE INDEX "avatars_user_created_idx" ON "avatars" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "avatars_status_idx" ON "avatars" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "avatars_fal_request_idx" ON "avatars" USING btree ("fal_request_id");--> statement-breakpoint
CREATE INDEX "avatars_training_check_idx" ON "avatars" USING btree ("status","last_status_check_at");--> statement-breakpoint
CREATE INDEX "generations_avatar_created_idx" ON "generations" USING btree ("avatar_id","created_at");--> statement-breakpoint
CREATE INDEX "generations_user_status_idx" ON "generations" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "processed_updates_at_idx" ON "processed_updates" USING btree ("processed_at");