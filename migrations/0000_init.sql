CREATE TABLE `avatar_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`avatar_id` text NOT NULL,
	`user_id` text NOT NULL,
	`minio_key` text NOT NULL,
	`file_hash` text NOT NULL,
	`upload_order` integer NOT NULL,
	`validation_status` text DEFAULT 'PENDING' NOT NULL,
	`file_size` integer NOT NULL,
	`width` integer,
	`height` integer,
	`format` text NOT NULL,
	`has_face` integer,
	`quality_score` real,
	`validation_error` text,
	`photo_metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`avatar_id`) REFERENCES `avatars`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "avatar_photos_status_check" CHECK(validation_status IN ('PENDING', 'VALID', 'INVALID')),
	CONSTRAINT "avatar_photos_quality_check" CHECK(quality_score IS NULL OR quality_score BETWEEN 0 AND 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `avatar_photos_avatar_order_idx` ON `avatar_photos` (`avatar_id`,`upload_order`);--> statement-breakpoint
CREATE UNIQUE INDEX `avatar_photos_avatar_hash_idx` ON `avatar_photos` (`avatar_id`,`file_hash`);--> statement-breakpoint
CREATE INDEX `avatar_photos_user_hash_idx` ON `avatar_photos` (`user_id`,`file_hash`);--> statement-breakpoint
CREATE TABLE `avatars` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text,
	`gender` text,
	`avatar_type` text,
	`status` text DEFAULT 'DRAFT' NOT NULL,
	`finetune_id` text,
	`training_progress` integer DEFAULT 0 NOT NULL,
	`training_started_at` integer,
	`training_completed_at` integer,
	`fal_mode` text,
	`fal_iterations` integer NOT NULL,
	`fal_priority` text NOT NULL,
	`trigger_word` text NOT NULL,
	`lora_rank` integer NOT NULL,
	`avatar_data` text DEFAULT '{}' NOT NULL,
	`training_config` text DEFAULT '{}' NOT NULL,
	`photos_count` integer DEFAULT 0 NOT NULL,
	`generations_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "avatars_status_check" CHECK(status IN ('DRAFT', 'PHOTOS_UPLOADING', 'READY_FOR_TRAINING', 'TRAINING', 'COMPLETED', 'ERROR', 'CANCELLED')),
	CONSTRAINT "avatars_gender_check" CHECK(gender IS NULL OR gender IN ('MALE', 'FEMALE', 'OTHER')),
	CONSTRAINT "avatars_type_check" CHECK(avatar_type IS NULL OR avatar_type IN ('CHARACTER', 'STYLE', 'CUSTOM')),
	CONSTRAINT "avatars_priority_check" CHECK(fal_priority IN ('speed', 'balanced', 'quality')),
	CONSTRAINT "avatars_progress_check" CHECK(training_progress BETWEEN 0 AND 100),
	CONSTRAINT "avatars_counts_check" CHECK(photos_count >= 0 AND generations_count >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `avatars_trigger_word_unique` ON `avatars` (`trigger_word`);--> statement-breakpoint
CREATE INDEX `avatars_user_created_idx` ON `avatars` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `avatars_status_idx` ON `avatars` (`status`);--> statement-breakpoint
CREATE TABLE `bot_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `generations` (
	`id` text PRIMARY KEY NOT NULL,
	`avatar_id` text NOT NULL,
	`user_id` text NOT NULL,
	`prompt` text NOT NULL,
	`preset` text,
	`options` text DEFAULT '{}' NOT NULL,
	`seed` integer,
	`fal_request_id` text,
	`status` text DEFAULT 'QUEUED' NOT NULL,
	`error` text,
	`result_keys` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	FOREIGN KEY (`avatar_id`) REFERENCES `avatars`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "generations_status_check" CHECK(status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `generations_fal_request_id_unique` ON `generations` (`fal_request_id`);--> statement-breakpoint
CREATE INDEX `generations_avatar_created_idx` ON `generations` (`avatar_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `generations_user_status_idx` ON `generations` (`user_id`,`status`);--> statement-breakpoint
CREATE TABLE `processed_updates` (
	`update_id` integer PRIMARY KEY NOT NULL,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processed_updates_at_idx` ON `processed_updates` (`processed_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`telegram_id` integer NOT NULL,
	`language_code` text NOT NULL,
	`first_name` text,
	`last_name` text,
	`username` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_telegram_id_unique` ON `users` (`telegram_id`);