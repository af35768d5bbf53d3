import { Composer, InlineKeyboard } from "grammy";
import { FAL_PRIORITIES } from "../../domain/avatar";
import { trainingPrice } from "../../domain/prices";
import type { Movement } from "../../services/credit-service";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";
import { escapeHtml, type Messages } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";

/** Movements shown on the balance screen. */
const RECENT = 8;
/** The most one /grant may give: a typo's extra zeros are refused, not granted. */
const MAX_GRANT = 1_000_000;

/** The balance (/balance and the menu's entry), the free allowance, and the admins' /grant. */
export const creditsFeature = new Composer<BotContext>();

creditsFeature.command("start", async (ctx, next) => {
  if (ctx.from) await ctx.deps.credits.welcome(ctx.from.id);
  await next();
});

creditsFeature.command("balance", async (ctx) => {
  await ctx.reply(await balanceText(ctx), { reply_markup: balanceKeyboard(ctx.t) });
});

onAction(creditsFeature, "balance", async (ctx) => {
  await answer(ctx);
  await show(ctx, await balanceText(ctx), balanceKeyboard(ctx.t));
});

creditsFeature.command("grant", async (ctx) => {
  const admin = ctx.from?.id;
  if (admin === undefined || !ctx.deps.settings.adminUserIds.has(admin)) {
    await ctx.reply(ctx.t.errors.unknownInput, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  const [target, amount, ...rest] = String(ctx.match ?? "")
    .trim()
    .split(/\s+/);
  const userId = /^\d{1,15}$/.test(target ?? "") ? Number(target) : 0;
  const credits = /^\d{1,7}$/.test(amount ?? "") ? Number(amount) : 0;
  if (userId <= 0 || credits < 1 || credits > MAX_GRANT || rest.length > 0) {
    await ctx.reply(ctx.t.credits.grantUsage);
    return;
  }
  const outcome = await ctx.deps.credits.grant(admin, userId, credits, ctx.update.update_id);
  await ctx.reply(
    outcome.applied
      ? ctx.t.credits.grantDone(credits, userId, outcome.balance.available)
      : ctx.t.credits.grantedBefore(userId, outcome.balance.available),
  );
});

async function balanceText(ctx: BotContext): Promise<string> {
  const t = ctx.t;
  const telegramId = ctx.from?.id ?? 0;
  const { credits } = ctx.deps.settings;
  const [balance, movements] = await Promise.all([
    ctx.deps.credits.balance(telegramId),
    ctx.deps.credits.movements(telegramId, RECENT),
  ]);
  const cheapest = Math.min(
    ...FAL_PRIORITIES.map((falPriority) =>
      trainingPrice(credits, { falPriority, falIterations: ctx.deps.settings.avatar.DEFAULT_ITERATIONS }),
    ),
  );
  return [
    t.credits.balance(balance.available),
    ...(balance.reserved > 0 ? [t.credits.reserved(balance.reserved)] : []),
    t.credits.prices(cheapest, credits.picture),
    "",
    t.credits.recent,
    ...(movements.length > 0 ? movements.map((m) => movementLine(t, m)) : [t.credits.none]),
  ].join("\n");
}

/** One movement in plain words: "+300 bought", "−250 training «Anna»". */
export function movementLine(t: Messages, m: Movement): string {
  const c = t.credits;
  switch (m.kind) {
    case "welcome":
    case "granted":
    case "bought":
    case "refunded":
      return c[m.kind](m.credits);
    case "training":
    case "pictures":
      return c[m.kind](m.credits, nameOf(m.name));
    case "trainingReturned":
      return c.returnedTraining(m.credits, nameOf(m.name), m.how);
    case "picturesReturned":
      return c.returnedPictures(m.credits, nameOf(m.name), m.how);
    case "preview":
      return c.preview(m.credits, nameOf(m.name));
    case "previewReturned":
      return c.returnedPreview(m.credits, nameOf(m.name), m.how);
  }
}

function nameOf(name: string | null): string | null {
  return name === null ? null : escapeHtml(name);
}

function balanceKeyboard(t: Messages): InlineKeyboard {
  return new InlineKeyboard().text(t.credits.buy, cb("buyCredits")).row().text(t.menu.back, cb("menu"));
}
