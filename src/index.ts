import { createApp } from "./http/app";
import { runScheduled } from "./scheduled";

export { AvatarWorkspace } from "./durable-objects/avatar-workspace";
export { ChatSession } from "./durable-objects/chat-session";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
