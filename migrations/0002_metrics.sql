CREATE TABLE `metrics_counters` (
	`name` text NOT NULL,
	`label` text NOT NULL,
	`value` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`name`, `label`)
);
