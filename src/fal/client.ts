import { createFalClient, type FalClient } from "@fal-ai/client";
import type { Settings } from "../config/settings";

/**
 * A fal client for this request. With FAL_BASE_URL set, every request (queue, run, storage)
 * goes to that origin instead of fal's hosts, keeping path and query, so a stand-in can serve it.
 */
export function createFal(settings: Settings): FalClient {
  const base = settings.falBaseUrl;
  return createFalClient({
    credentials: settings.falKey,
    suppressLocalCredentialsWarning: true,
    // Each retry is a subrequest; the callers handle failure themselves.
    retry: { maxRetries: 1 },
    ...(base
      ? {
          requestMiddleware: async (request) => {
            const url = new URL(request.url);
            const target = new URL(base);
            url.protocol = target.protocol;
            url.host = target.host;
            return { ...request, url: url.toString() };
          },
        }
      : {}),
  });
}
