import { Composer } from "grammy";
import type { AccessRule } from "../../domain/access";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";

/** /allow <id> and /deny <id> for ADMIN_USER_IDS; anyone else gets what an unknown command gets. */
export const accessFeature = new Composer<BotContext>();

for (const [command, rule] of [
  ["allow", "allow"],
  ["deny", "deny"],
] as const) {
  accessFeature.command(command, (ctx) => setRule(ctx, command, rule));
}

async function setRule(ctx: BotContext, command: string, rule: AccessRule): Promise<void> {
  const { settings, access } = ctx.deps;
  const admin = ctx.from?.id;
  if (admin === undefined || !settings.adminUserIds.has(admin)) {
    await ctx.reply(ctx.t.errors.unknownInput, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  const t = ctx.t.access;
  const raw = String(ctx.match ?? "").trim();
  const id = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    await ctx.reply(t.usage(command));
    return;
  }
  if (settings.adminUserIds.has(id)) {
    await ctx.reply(t.adminAlways(id));
    return;
  }
  const before = await access.setRule(id, rule, admin, new Date());
  // Before the confirmation: once the admin reads it, the user's next update obeys it.
  await ctx.deps.forgetAccess(id);
  if (rule === "allow") {
    const text = before === "allow" ? t.alreadyAllowed(id) : t.allowed(id);
    await ctx.reply(settings.access.mode === "open" ? `${text}\n\n${t.openAnyway}` : text);
  } else {
    await ctx.reply(before === "deny" ? t.alreadyDenied(id) : t.denied(id));
  }
}
