import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { BotProfile } from "./register-webhook.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The bot's description and short description per language, from the Worker's locale files. Those
 * import the way the Worker's bundler resolves (no file extensions), which Node does not, so they
 * come through esbuild, as the playground's stand-ins do.
 */
export async function loadBotProfiles(): Promise<{ en: BotProfile; ru: BotProfile }> {
  const bundled = await build({
    stdin: {
      contents: `import { en } from "./src/bot/locales/en"; import { ru } from "./src/bot/locales/ru";
        export const profiles = { en: en.profile, ru: ru.profile };`,
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "error",
  });
  const code = bundled.outputFiles[0]?.text ?? "";
  const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as {
    profiles: { en: BotProfile; ru: BotProfile };
  };
  return module.profiles;
}
