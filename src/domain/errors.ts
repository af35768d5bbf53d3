import type { AvatarStatus } from "./avatar";

/** Codes the transports translate: the bot into a localized message, HTTP into a status. */
export type DomainErrorCode =
  | "avatar_not_found"
  | "illegal_transition"
  | "stale_action"
  | "invalid_name"
  | "avatar_busy";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export class IllegalTransitionError extends DomainError {
  constructor(
    readonly from: AvatarStatus,
    readonly to: AvatarStatus,
  ) {
    super("illegal_transition", `Avatar status cannot change from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
