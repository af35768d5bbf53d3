import type { AvatarPhoto } from "../../domain/entities";
import { coachedPhoto, leastHelpful, photoAdvice, type SetSuggestion, setScore } from "../../domain/likeness-coach";
import type { Messages } from "../locales";

/** Photos the trained card names as helping least, at most. */
const LEAST_HELPFUL_SHOWN = 3;

/** The set's score out of 10 and what would raise it, for the Done and Train screens. */
export function setSummary(t: Messages, photos: readonly AvatarPhoto[]): string {
  const { score, suggestions } = setScore(photos.map(coachedPhoto));
  const lines = [t.coach.score(score)];
  if (suggestions.length === 0) lines.push(t.coach.setGood);
  else lines.push(t.coach.raiseTitle, ...suggestions.map((s) => suggestionText(t, s)), t.coach.fixOrGo);
  return lines.join("\n");
}

/** The viewer's line of marks on one photo; null for a photo without advice. */
export function photoMarks(t: Messages, photo: AvatarPhoto): string | null {
  const advice = photoAdvice(coachedPhoto(photo));
  return advice.length === 0 ? null : t.coach.marks(advice.map((a) => t.coach.mark[a]));
}

/** The trained card's hint for a retrain: the photos (by number) that helped the likeness least. */
export function leastHelpfulLine(t: Messages, photos: readonly AvatarPhoto[]): string | null {
  const worst = leastHelpful(photos.map(coachedPhoto), LEAST_HELPFUL_SHOWN);
  if (worst.length === 0) return null;
  return t.coach.leastHelpful(worst.map((i) => photos[i]?.uploadOrder ?? i + 1).sort((a, b) => a - b));
}

function suggestionText(t: Messages, suggestion: SetSuggestion): string {
  const s = t.coach.suggestion;
  switch (suggestion.kind) {
    case "similar":
      return s.similar(suggestion.count);
    case "close_ups":
      return s.close_ups(suggestion.count);
    case "profiles":
      return s.profiles(suggestion.count);
    case "variety":
      return s.variety;
    case "sunglasses":
      return s.sunglasses(suggestion.count);
    case "marked":
      return s.marked(suggestion.count);
  }
}
