ALTER TABLE `avatars` ADD `fal_request_id` text;--> statement-breakpoint
ALTER TABLE `avatars` ADD `fal_endpoint` text;--> statement-breakpoint
ALTER TABLE `avatars` ADD `training_error` text;--> statement-breakpoint
ALTER TABLE `avatars` ADD `last_status_check_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `avatars_fal_request_idx` ON `avatars` (`fal_request_id`);--> statement-breakpoint
CREATE INDEX `avatars_training_check_idx` ON `avatars` (`status`,`last_status_check_at`);