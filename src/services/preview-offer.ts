import type { Settings } from "../config/settings";
import type { Generation } from "../domain/entities";
import { isActiveGeneration } from "../domain/generation-lifecycle";
import type { Repository } from "../domain/repository";

/** How far an avatar's chain of previews is followed; a preview past it reads as the one running. */
const MAX_PREVIEW_HOPS = 200;

/** What the avatar's next preview would be: free, paid, or none (the free one used, or previews off). */
export type PreviewOffer = { kind: "free" } | { kind: "paid"; credits: number } | { kind: "used" } | { kind: "none" };

/** The avatar's previews so far, as a chain of intents keyed `preview:<avatar id>`, then `>` each one it follows. */
export interface PreviewChain {
  /** The preview being made now: a tap finds it rather than starting another. */
  active: Generation | null;
  /** Whether any preview of this avatar reached the user (that uses up the free one). */
  delivered: boolean;
  /** The intent key the next preview takes. */
  nextKey: string;
}

export async function previewChain(repo: Repository, avatarId: string): Promise<PreviewChain> {
  const base = `preview:${avatarId}`;
  let nextKey = base;
  let delivered = false;
  for (let hop = 0; hop < MAX_PREVIEW_HOPS; hop++) {
    const found = await repo.findGenerationByIntent(nextKey);
    if (!found) break;
    if (isActiveGeneration(found.status)) return { active: found, delivered, nextKey };
    if (found.status === "SUCCEEDED") delivered = true;
    nextKey = `${base}>${found.id}`;
  }
  return { active: null, delivered, nextKey };
}

/**
 * PREVIEW_FREE_ONCE makes the first delivered preview free (a failed or flagged one does not count);
 * any other costs PREVIEW_CREDITS, and 0 there means none is sold.
 */
export function previewOffer(
  settings: Pick<Settings, "previewFreeOnce"> & { credits: { preview: number } },
  delivered: boolean,
): PreviewOffer {
  if (settings.previewFreeOnce && !delivered) return { kind: "free" };
  if (settings.credits.preview > 0) return { kind: "paid", credits: settings.credits.preview };
  return settings.previewFreeOnce ? { kind: "used" } : { kind: "none" };
}
