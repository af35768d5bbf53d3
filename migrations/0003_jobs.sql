DROP TABLE `processed_updates`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_generations` (
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
	`intent_key` text,
	`deadline_at` integer,
	`fal_output` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`result_keys` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	FOREIGN KEY (`avatar_id`) REFERENCES `avatars`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "generations_status_check" CHECK(status IN ('QUEUED', 'SUBMITTING', 'RUNNING', 'DELIVERING', 'SUCCEEDED', 'FAILED'))
);
--> statement-breakpoint
INSERT INTO `__new_generations`("id", "avatar_id", "user_id", "prompt", "preset", "options", "seed", "fal_request_id", "status", "error", "intent_key", "deadline_at", "fal_output", "attempts", "result_keys", "created_at", "started_at", "completed_at") SELECT "id", "avatar_id", "user_id", "prompt", "preset", "options", "seed", "fal_request_id", "status", "error", "intent_key", "deadline_at", "fal_output", "attempts", "result_keys", "created_at", "started_at", "completed_at" FROM `generations`;--> statement-breakpoint
DROP TABLE `generations`;--> statement-breakpoint
ALTER TABLE `__new_generations` RENAME TO `generations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `generations_fal_request_id_unique` ON `generations` (`fal_request_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `generations_intent_key_unique` ON `generations` (`intent_key`);--> statement-breakpoint
CREATE INDEX `generations_avatar_created_idx` ON `generations` (`avatar_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `generations_user_status_idx` ON `generations` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `generations_deadline_idx` ON `generations` (`deadline_at`);