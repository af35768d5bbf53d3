CREATE TABLE `access_rules` (
	`telegram_id` integer PRIMARY KEY NOT NULL,
	`rule` text NOT NULL,
	`actor_id` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "access_rules_rule_check" CHECK(rule IN ('allow', 'deny'))
);
--> statement-breakpoint
CREATE TABLE `job_starts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`started_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "job_starts_kind_check" CHECK(kind IN ('training', 'generation'))
);
--> statement-breakpoint
CREATE INDEX `job_starts_user_kind_idx` ON `job_starts` (`user_id`,`kind`,`started_at`);