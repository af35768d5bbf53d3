CREATE TABLE `credit_balances` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`available` integer DEFAULT 0 NOT NULL,
	`reserved` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "credit_balances_check" CHECK(available >= 0 AND reserved >= 0)
);
--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`user_id` integer NOT NULL,
	`kind` text NOT NULL,
	`credits` integer NOT NULL,
	`ref` text,
	`stars` integer,
	`actor_id` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	CONSTRAINT "ledger_entries_kind_check" CHECK(kind IN ('grant', 'purchase', 'reserve', 'charge', 'release', 'refund')),
	CONSTRAINT "ledger_entries_credits_check" CHECK(credits > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_key_unique` ON `ledger_entries` (`key`);--> statement-breakpoint
CREATE INDEX `ledger_entries_user_created_idx` ON `ledger_entries` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ledger_entries_kind_idx` ON `ledger_entries` (`kind`);