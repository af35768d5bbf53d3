import type { Settings } from "../config/settings";

export type AppEnv = { Bindings: Env; Variables: { settings: Settings } };
