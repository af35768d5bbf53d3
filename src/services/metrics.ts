import type { MetricsSnapshot, Repository } from "../domain/repository";

/** The figures behind /metrics and /stats, from the rows and the counters. */
export class MetricsService {
  constructor(private readonly repo: Repository) {}

  async snapshot(now: Date): Promise<MetricsSnapshot> {
    return this.repo.metrics(now);
  }
}

/**
 * The spec's metrics in Prometheus text format. Avatars, trainings, generations and storage are
 * exact, from aggregate queries over the rows (every stored object has its row and its size);
 * refused photos leave no rows, so they are counted as they happen.
 */
export function renderPrometheus(m: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: Array<[Record<string, string>, number]>,
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const rendered = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
        .join(",");
      lines.push(`${name}${rendered ? `{${rendered}}` : ""} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  metric(
    "avatar_studio_avatars",
    "gauge",
    "Avatars by type and status.",
    m.avatars.map((a) => [{ type: a.type, status: a.status }, a.count]),
  );
  metric("avatar_studio_training_seconds", "gauge", "Duration of completed trainings.", [
    [{ quantile: "0.5" }, m.trainingSeconds.median ?? Number.NaN],
    [{ quantile: "0.95" }, m.trainingSeconds.p95 ?? Number.NaN],
  ]);
  metric("avatar_studio_trainings", "gauge", "Trainings by outcome.", [
    [{ outcome: "completed" }, m.trainingOutcomes.completed],
    [{ outcome: "failed" }, m.trainingOutcomes.failed],
    [{ outcome: "cancelled" }, m.trainingOutcomes.cancelled],
  ]);
  metric("avatar_studio_training_success_ratio", "gauge", "Completed trainings over completed plus failed.", [
    [{}, successRatio(m) ?? Number.NaN],
  ]);
  metric("avatar_studio_generations_total", "counter", "Succeeded generations.", [[{}, m.generations.total]]);
  metric(
    "avatar_studio_generations_day",
    "gauge",
    "Succeeded generations per day, last 14 days.",
    m.generations.perDay.map((d) => [{ day: d.day }, d.count]),
  );
  metric(
    "avatar_studio_storage_bytes",
    "gauge",
    "Stored bytes by kind.",
    m.storage.map((s) => [{ kind: s.kind }, s.bytes]),
  );
  metric(
    "avatar_studio_storage_objects",
    "gauge",
    "Stored objects by kind.",
    m.storage.map((s) => [{ kind: s.kind }, s.objects]),
  );
  metric(
    "avatar_studio_photos_refused_total",
    "counter",
    "Refused photos by reason.",
    m.photosRefused.map((r) => [{ reason: r.reason }, r.count]),
  );
  const credits = creditTotals(m);
  metric("avatar_studio_credits_granted_total", "counter", "Credits given away: free allowances and grants.", [
    [{}, credits.granted],
  ]);
  metric("avatar_studio_credits_spent_total", "counter", "Credits charged for finished trainings and pictures.", [
    [{}, credits.spent],
  ]);
  metric(
    "avatar_studio_credits_returned_total",
    "counter",
    "Held credits given back when a job failed or fell short.",
    [[{}, credits.returned]],
  );
  metric("avatar_studio_credits_refunded_total", "counter", "Credits taken off balances by Stars refunds.", [
    [{}, credits.refunded],
  ]);
  metric("avatar_studio_credits_held", "gauge", "Credits held for jobs still running.", [[{}, credits.held]]);
  metric("avatar_studio_stars_received_total", "counter", "Telegram Stars paid for credits.", [[{}, m.stars.received]]);
  metric("avatar_studio_stars_refunds_total", "counter", "Stars payments refunded by admins.", [[{}, m.stars.refunds]]);
  metric("avatar_studio_stars_refunded_total", "counter", "Telegram Stars given back in refunds.", [
    [{}, m.stars.refunded],
  ]);
  metric(
    "avatar_studio_access_refused_total",
    "counter",
    "Updates refused by the access rules: from strangers (nothing stored) or denied users.",
    m.accessRefused.map((r) => [{ who: r.who }, r.count]),
  );
  metric(
    "avatar_studio_limit_hits_total",
    "counter",
    "Job starts refused by the per-user limits, by job.",
    m.limitHits.map((h) => [{ job: h.job }, h.count]),
  );
  return `${lines.join("\n")}\n`;
}

/** Credits granted, spent (charged), returned (released) and held now, from the ledger's totals. */
export function creditTotals(m: MetricsSnapshot): {
  granted: number;
  spent: number;
  returned: number;
  refunded: number;
  held: number;
} {
  const of = (kind: string) => m.ledger.find((row) => row.kind === kind)?.credits ?? 0;
  return {
    granted: of("grant"),
    spent: of("charge"),
    returned: of("release"),
    // Taken off balances by Stars refunds (a refund Telegram refused is put back as a grant).
    refunded: of("refund"),
    held: of("reserve") - of("charge") - of("release"),
  };
}

export function successRatio(m: MetricsSnapshot): number | null {
  const decided = m.trainingOutcomes.completed + m.trainingOutcomes.failed;
  return decided === 0 ? null : m.trainingOutcomes.completed / decided;
}

/** The same figures for /stats in the bot, plain text. */
export function renderStats(m: MetricsSnapshot): string {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  const seconds = (s: number | null) => (s === null ? "—" : `${Math.round(s)} s`);
  const ratio = successRatio(m);
  const today = m.generations.perDay.at(-1);
  const credits = creditTotals(m);
  const refused = (who: string) => m.accessRefused.find((r) => r.who === who)?.count ?? 0;
  const hits = (job: string) => m.limitHits.find((h) => h.job === job)?.count ?? 0;
  return [
    "📊 <b>Avatar Studio</b>",
    "",
    `<b>Avatars</b>: ${m.avatars.reduce((n, a) => n + a.count, 0)}`,
    ...m.avatars.map((a) => `• ${a.type} / ${a.status}: ${a.count}`),
    "",
    `<b>Training</b>: median ${seconds(m.trainingSeconds.median)}, p95 ${seconds(m.trainingSeconds.p95)}; success ${ratio === null ? "—" : `${Math.round(ratio * 100)}%`} (${m.trainingOutcomes.completed} ok, ${m.trainingOutcomes.failed} failed, ${m.trainingOutcomes.cancelled} cancelled)`,
    `<b>Generations</b>: ${m.generations.total} in all${today ? `, ${today.count} on ${today.day}` : ""}`,
    "",
    "<b>Storage</b>",
    ...m.storage.map((s) => `• ${s.kind}: ${mb(s.bytes)} in ${s.objects} object(s)`),
    "",
    "<b>Refused photos</b>",
    ...(m.photosRefused.length ? m.photosRefused.map((r) => `• ${r.reason}: ${r.count}`) : ["• none"]),
    "",
    "<b>Credits</b>",
    `• granted: ${credits.granted}`,
    `• spent: ${credits.spent}`,
    `• returned: ${credits.returned}`,
    `• taken back by refunds: ${credits.refunded}`,
    `• held for running jobs: ${credits.held}`,
    `<b>Stars</b>: ${m.stars.received} ⭐ received; refunds given: ${m.stars.refunds}, ${m.stars.refunded} ⭐ back`,
    "",
    "<b>Access and limits</b>",
    `• refused: ${refused("stranger")} from strangers, ${refused("denied")} from denied users`,
    `• limits hit: ${hits("training")} training starts, ${hits("generation")} picture orders`,
  ].join("\n");
}
