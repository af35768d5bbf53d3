/** The spec's FSM states that live in the chat's Durable Object between updates. */
export type WizardStep = "selecting_type" | "selecting_gender" | "waiting_name";

export type SessionState =
  | { state: "idle" }
  | { state: WizardStep; avatarId: string; messageId?: number }
  | { state: "uploading_photos"; avatarId: string }
  | { state: "waiting_prompt"; avatarId: string };

export const IDLE: SessionState = { state: "idle" };

export interface SessionStore {
  get(): Promise<SessionState>;
  set(state: SessionState): Promise<void>;
}

export type WizardState = Extract<SessionState, { state: WizardStep }>;

export function isWizard(session: SessionState): session is WizardState {
  return session.state === "selecting_type" || session.state === "selecting_gender" || session.state === "waiting_name";
}
