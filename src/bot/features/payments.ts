import { Composer, GrammyError, HttpError, InlineKeyboard } from "grammy";
import { type CreditPackage, invoicePayload, judgePreCheckout } from "../../domain/packages";
import { log } from "../../log";
import type { StarsRefundAnswer } from "../../services/payment-service";
import { cb } from "../callback-data";
import type { BotContext } from "../context";
import { mainMenuKeyboard } from "../keyboards/menu";
import { escapeHtml, messagesFor } from "../locales";
import { onAction } from "../on-action";
import { answer, show } from "../render";

/**
 * Buying credits with Telegram Stars: the packages screen (/buy and every "Buy credits" button), the
 * invoice, the pre-checkout answer, the receipt, and /terms and /paysupport, which Telegram expects
 * of a bot that takes payments; and the admins' /refund.
 */
export const paymentsFeature = new Composer<BotContext>();

paymentsFeature.command("buy", (ctx) => showPackages(ctx));

onAction(paymentsFeature, "buyCredits", async (ctx) => {
  await answer(ctx);
  await showPackages(ctx);
});

onAction(paymentsFeature, "buyPackage", async (ctx, { credits, stars }) => {
  const pkg = ctx.deps.payments.packages.find((p) => p.credits === credits && p.stars === stars);
  if (!pkg) {
    await answer(ctx, ctx.t.payments.packageGone, true);
    await showPackages(ctx);
    return;
  }
  await answer(ctx);
  await sendInvoice(ctx, pkg);
});

// Telegram gives the bot 10 s; this reads nothing but the settings, so it answers in one call.
paymentsFeature.on("pre_checkout_query", async (ctx) => {
  const query = ctx.preCheckoutQuery;
  const verdict = judgePreCheckout(
    {
      payerId: query.from.id,
      currency: query.currency,
      totalAmount: query.total_amount,
      payload: query.invoice_payload,
    },
    ctx.deps.payments.packages,
  );
  if (!verdict.ok) log("info", "pre_checkout_refused", { userId: query.from.id, reason: verdict.reason });
  const t = ctx.t.payments;
  try {
    if (verdict.ok) await ctx.answerPreCheckoutQuery(true);
    else await ctx.answerPreCheckoutQuery(false, verdict.reason === "not_yours" ? t.refusedNotYours : t.refusedStale);
  } catch (error) {
    // Too late (Telegram has cancelled the payment and taken nothing) or unreachable: there is no
    // chat to say so in; the user's payment sheet already tells them it did not go through.
    log("warn", "pre_checkout_unanswered", { userId: query.from.id, error: String(error) });
  }
});

paymentsFeature.on("message:successful_payment", async (ctx) => {
  const payment = ctx.message.successful_payment;
  const outcome = await ctx.deps.payments.recordPurchase({
    payerId: ctx.from.id,
    chargeId: payment.telegram_payment_charge_id,
    payload: payment.invoice_payload,
    stars: payment.total_amount,
  });
  const chargeId = escapeHtml(payment.telegram_payment_charge_id);
  if (outcome.kind === "credited") {
    await ctx.reply(ctx.t.payments.receipt(outcome.credits, outcome.stars, outcome.balance.available, chargeId), {
      reply_markup: mainMenuKeyboard(ctx.t),
    });
  } else if (outcome.kind === "unreadable") {
    await ctx.reply(ctx.t.payments.receiptUnknown(payment.total_amount, chargeId));
  }
  // A duplicate was credited and receipted when it first arrived.
});

paymentsFeature.command("terms", async (ctx) => {
  const lines = ctx.deps.payments.packages.map((p) => ctx.t.payments.termsPackage(p.credits, p.stars)).join("\n");
  await ctx.reply(ctx.t.payments.terms(lines));
});

paymentsFeature.command("paysupport", async (ctx) => {
  const contact = ctx.deps.settings.paySupportContact;
  await ctx.reply(ctx.t.payments.paySupport(contact === undefined ? null : escapeHtml(contact)));
});

paymentsFeature.command("refund", async (ctx) => {
  if (!ctx.from || !ctx.deps.settings.adminUserIds.has(ctx.from.id)) {
    await ctx.reply(ctx.t.errors.unknownInput, { reply_markup: mainMenuKeyboard(ctx.t) });
    return;
  }
  const t = ctx.t.payments;
  const chargeId = ctx.match.trim();
  if (chargeId === "" || chargeId.length > 256 || /\s/.test(chargeId)) {
    await ctx.reply(t.refundUsage);
    return;
  }
  const shown = escapeHtml(chargeId);
  const outcome = await ctx.deps.payments.refund(chargeId, ctx.from.id, (userId, charge) =>
    refundStars(ctx, userId, charge),
  );
  switch (outcome.kind) {
    case "unknown_charge":
      return ctx.reply(t.refundUnknown(shown));
    case "already_refunded":
      return ctx.reply(t.refundAlready(shown));
    case "refused_before":
      return ctx.reply(t.refundRefusedBefore(shown));
    case "spent":
      return ctx.reply(t.refundSpent(outcome.credits, outcome.available));
    case "refused":
      return ctx.reply(t.refundRefused(escapeHtml(outcome.description)));
    case "unsettled":
      return ctx.reply(t.refundUnsettled);
    case "refunded": {
      await tellRefunded(ctx, outcome.userId, outcome.credits, outcome.stars, outcome.balance.available);
      const done = t.refundDone(outcome.stars, outcome.credits, outcome.userId, outcome.balance.available);
      return ctx.reply(outcome.alreadyAtTelegram ? `${t.refundAlreadyAtTelegram}\n\n${done}` : done);
    }
  }
});

async function showPackages(ctx: BotContext): Promise<void> {
  const balance = await ctx.deps.payments.balance(ctx.user.telegramId);
  const keyboard = new InlineKeyboard();
  for (const p of ctx.deps.payments.packages) {
    keyboard.text(ctx.t.payments.packageButton(p.credits, p.stars), cb("buyPackage", p)).row();
  }
  keyboard.text(ctx.t.menu.back, cb("menu"));
  await show(ctx, ctx.t.payments.packagesTitle(balance.available), keyboard);
}

/** The invoice Telegram turns into its payment sheet: XTR, no provider token, one price. */
async function sendInvoice(ctx: BotContext, pkg: CreditPackage): Promise<void> {
  const t = ctx.t.payments;
  await ctx.replyWithInvoice(
    t.invoiceTitle(pkg.credits),
    t.invoiceDescription(pkg.credits),
    invoicePayload(pkg, ctx.user.telegramId),
    "XTR",
    [{ label: t.priceLabel(pkg.credits), amount: pkg.stars }],
  );
}

/** refundStarPayment, its answer sorted by what it means for the credits. */
async function refundStars(ctx: BotContext, userId: number, chargeId: string): Promise<StarsRefundAnswer> {
  try {
    await ctx.api.refundStarPayment(userId, chargeId);
    return { kind: "refunded" };
  } catch (error) {
    // 429 after the retries is Telegram being busy, not a refusal.
    if (error instanceof GrammyError && error.error_code >= 400 && error.error_code < 500 && error.error_code !== 429) {
      if (error.description.includes("CHARGE_ALREADY_REFUNDED")) return { kind: "already_refunded" };
      return { kind: "refused", description: error.description };
    }
    if (error instanceof GrammyError || error instanceof HttpError) {
      log("warn", "stars_refund_unanswered", { chargeId, error: String(error) });
      return { kind: "unreachable" };
    }
    throw error;
  }
}

/** Tells the user, in their language, that their payment came back. */
async function tellRefunded(
  ctx: BotContext,
  userId: number,
  credits: number,
  stars: number,
  balance: number,
): Promise<void> {
  const user = await ctx.deps.payments.customer(userId);
  const t = messagesFor(user?.languageCode ?? "en");
  // A user who has blocked the bot is refunded all the same; only the notice is lost.
  await ctx.api
    .sendMessage(userId, t.payments.refundedToUser(credits, stars, balance))
    .catch((error: unknown) => log("warn", "refund_notice_failed", { userId, error: String(error) }));
}
