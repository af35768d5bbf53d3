import type { Composer } from "grammy";
import type { Action } from "./callback-data";
import type { BotContext } from "./context";

type ActionOf<K extends Action["kind"]> = Extract<Action, { kind: K }>;

/** Registers a handler for one callback action kind, with the parsed payload typed. */
export function onAction<K extends Action["kind"]>(
  composer: Composer<BotContext>,
  kind: K,
  handler: (ctx: BotContext, action: ActionOf<K>) => Promise<unknown>,
): void {
  composer.filter(
    (ctx) => ctx.action?.kind === kind,
    (ctx) => handler(ctx, ctx.action as ActionOf<K>),
  );
}
