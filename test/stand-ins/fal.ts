/**
 * A stand-in for fal.ai's HTTP APIs as the Worker reaches them through FAL_BASE_URL: the same
 * paths, the `Authorization: Key …` check, JSON bodies and FastAPI-style error bodies. It plays
 * the synchronous run endpoint of the face detector; tests program the faces it "sees".
 */
export interface FalFace {
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

export interface FalCall {
  method: string;
  path: string;
  body: unknown;
  status: number;
}

export interface QueueJob {
  id: string;
  app: string;
  input: Record<string, unknown>;
  webhookUrl: string | null;
  state: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";
  position: number;
  logs: string[];
  result: { status: number; body: unknown } | null;
  cancelRequested: boolean;
}

export const LORA_OUTPUT = {
  diffusers_lora_file: {
    url: "https://v3.fal.media/files/lora/pytorch_lora_weights.safetensors",
    content_type: "application/octet-stream",
    file_name: "pytorch_lora_weights.safetensors",
    file_size: 89_745_224,
  },
  config_file: {
    url: "https://v3.fal.media/files/lora/config.json",
    content_type: "application/json",
    file_name: "config.json",
    file_size: 1342,
  },
};

type Programmed = { kind: "faces"; faces: FalFace[] } | { kind: "error"; status: number; body: unknown };

export const ONE_FACE: FalFace[] = [{ x_min: 0.35, y_min: 0.2, x_max: 0.65, y_max: 0.6 }];

/** What the likeness coach's question to fal-ai/moondream3-preview/query is answered with (its JSON keys). */
export interface FalAttributes {
  sunglasses: boolean;
  head_covering: boolean;
  heavy_filter: boolean;
  gaze: "camera" | "away";
  pose: "front" | "three_quarter" | "profile";
}

export const PLAIN_PORTRAIT: FalAttributes = {
  sunglasses: false,
  head_covering: false,
  heavy_filter: false,
  gaze: "camera",
  pose: "front",
};

type QueryAnswer = { kind: "text"; output: string } | { kind: "error"; status: number; body: unknown };

/** fal-ai/flux-pulid's output for the given picture URLs: `images[]`, `has_nsfw_concepts[]`, seed, prompt, timings. */
export function pulidOutput(urls: string[], prompt: string, nsfw: boolean[] = []) {
  return {
    images: urls.map((url) => ({ url, width: 896, height: 1152, content_type: "image/jpeg" })),
    timings: { inference: 9.41 },
    seed: 1234567,
    has_nsfw_concepts: urls.map((_, i) => nsfw[i] === true),
    prompt,
  };
}

export class FalStandIn {
  readonly calls: FalCall[] = [];
  readonly #script: Programmed[] = [];
  /** What detection answers when nothing is programmed: one face, as in an ordinary portrait. */
  defaultFaces: FalFace[] = ONE_FACE;

  readonly jobs = new Map<string, QueueJob>();
  /** While set, face detection answers only once this settles (a fal that hangs). */
  hold: Promise<void> | null = null;
  /** Called with every job the queue accepts; the playground's demo mode drives jobs from here. */
  onSubmit: ((job: QueueJob) => void) | null = null;
  #submitFailure: { status: number; body: unknown } | "network" | null = null;
  #keys: CryptoKeyPair | null = null;

  constructor(
    readonly key: string,
    readonly origin: string,
  ) {}

  /** The next queue submission fails with this status and body, or with a network error. */
  failNextSubmit(failure: { status: number; body: unknown } | "network"): void {
    this.#submitFailure = failure;
  }

  job(id?: string): QueueJob {
    const job = id ? this.jobs.get(id) : [...this.jobs.values()].at(-1);
    if (!job) throw new Error("no such fal job");
    return job;
  }

  /** The job starts (or goes on) and logs a step counter, as a trainer does. */
  progress(id: string, step: number, total: number): void {
    const job = this.job(id);
    job.state = "IN_PROGRESS";
    job.logs.push(`Training step ${step}/${total}`);
  }

  succeed(id: string, output: unknown = LORA_OUTPUT): void {
    Object.assign(this.job(id), { state: "COMPLETED", result: { status: 200, body: output } });
  }

  /** fal has no FAILED status: a failed job is COMPLETED and its result answers with the error. */
  fail(
    id: string,
    status = 422,
    body: unknown = {
      detail: [{ loc: ["body", "images_data_url"], msg: "Could not download the archive", type: "value_error" }],
    },
  ): void {
    Object.assign(this.job(id), { state: "COMPLETED", result: { status, body } });
  }

  /** The JWKS key pair the stand-in signs webhooks with. */
  async keyPair(): Promise<CryptoKeyPair> {
    this.#keys ??= (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    return this.#keys;
  }

  /** fal's webhook delivery for a finished job, signed as fal signs it. */
  async webhook(
    id: string,
    options: { body?: unknown; timestamp?: number; signWith?: CryptoKey; tamper?: boolean } = {},
  ): Promise<Request> {
    const job = this.job(id);
    const ok = job.result && job.result.status < 300;
    const body = JSON.stringify(
      options.body ??
        (ok
          ? { request_id: id, gateway_request_id: id, status: "OK", payload: job.result?.body }
          : {
              request_id: id,
              gateway_request_id: id,
              status: "ERROR",
              error: `Invalid status code: ${job.result?.status}`,
              payload: job.result?.body,
            }),
    );
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const message = new TextEncoder().encode(`${id}\nuser-1\n${timestamp}\n${digest}`);
    const signature = new Uint8Array(
      await crypto.subtle.sign("Ed25519", options.signWith ?? (await this.keyPair()).privateKey, message),
    );
    return new Request(job.webhookUrl ?? "https://bot.example/fal/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-fal-webhook-request-id": id,
        "x-fal-webhook-user-id": "user-1",
        "x-fal-webhook-timestamp": timestamp,
        "x-fal-webhook-signature": Array.from(signature, (b) => b.toString(16).padStart(2, "0")).join(""),
      },
      body: options.tamper ? body.replace("OK", "ERROR") : body,
    });
  }

  /** Files fal's CDN serves (generated images, LoRA weights), by URL. */
  readonly media = new Map<string, { bytes: Uint8Array; contentType: string }>();

  serves(url: string): boolean {
    return url.startsWith(this.origin) || url.startsWith("https://v3.fal.media/");
  }

  /** The next detections see these faces, in order. */
  seeFaces(...answers: FalFace[][]): void {
    for (const faces of answers) this.#script.push({ kind: "faces", faces });
  }

  readonly #queries: QueryAnswer[] = [];
  /** What the vision question sees when nothing is programmed. */
  defaultAttributes: FalAttributes = PLAIN_PORTRAIT;

  /** The next vision questions see these, in order (the rest of each answer is a plain portrait). */
  seeAttributes(...answers: Partial<FalAttributes>[]): void {
    for (const answer of answers)
      this.#queries.push({ kind: "text", output: JSON.stringify({ ...this.defaultAttributes, ...answer }) });
  }

  /** The next vision question is answered with this text as `output` (a model may answer off the format). */
  answerQueryWith(output: string): void {
    this.#queries.push({ kind: "text", output });
  }

  /** The next vision question fails with this status and body. */
  failNextQuery(
    status: number,
    body: unknown = { detail: "Runner disconnected", error_type: "runner_disconnected" },
  ): void {
    this.#queries.push({ kind: "error", status, body });
  }

  /** Forgets whatever was programmed and not yet used. */
  clearScript(): void {
    this.#script.length = 0;
  }

  /** The next call fails with this status and body (by default fal's infrastructure-error shape). */
  failNext(status: number, body: unknown = { detail: "Runner disconnected", error_type: "runner_disconnected" }): void {
    this.#script.push({ kind: "error", status, body });
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const file = this.media.get(request.url);
    if (file) return new Response(file.bytes, { headers: { "content-type": file.contentType } });
    if (request.url.startsWith("https://v3.fal.media/")) return new Response("Not Found", { status: 404 });
    const body = request.method === "POST" ? await request.json().catch(() => undefined) : undefined;
    const respond = (status: number, payload: unknown) => {
      this.calls.push({ method: request.method, path: url.pathname, body, status });
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-fal-request-id": crypto.randomUUID(),
      };
      const errorType = (payload as { error_type?: unknown }).error_type;
      if (typeof errorType === "string") headers["x-fal-error-type"] = errorType;
      return new Response(JSON.stringify(payload), { status, headers });
    };
    if (request.method === "GET" && url.pathname === "/.well-known/jwks.json") {
      const jwk = (await crypto.subtle.exportKey("jwk", (await this.keyPair()).publicKey)) as JsonWebKey;
      return respond(200, { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: "stand-in", use: "sig" }] });
    }
    if (request.headers.get("authorization") !== `Key ${this.key}`) {
      return respond(401, { detail: "Invalid authentication credentials" });
    }
    if (request.method === "POST" && url.pathname === "/fal-ai/moondream3-preview/detect") {
      const input = body as { image_url?: unknown; prompt?: unknown } | undefined;
      const missing = ["image_url", "prompt"].filter((f) => typeof input?.[f as keyof typeof input] !== "string");
      if (missing.length > 0) {
        return respond(422, {
          detail: missing.map((f) => ({ loc: ["body", f], msg: "field required", type: "value_error.missing" })),
        });
      }
      if (this.hold) await this.hold;
      const next = this.#script.shift() ?? { kind: "faces", faces: this.defaultFaces };
      if (next.kind === "error") return respond(next.status, next.body);
      return respond(200, {
        objects: next.faces,
        finish_reason: "stop",
        usage_info: {
          decode_time_ms: 41.2,
          input_tokens: 741,
          output_tokens: 23,
          prefill_time_ms: 54.45,
          ttft_ms: 91.3,
        },
      });
    }
    if (request.method === "POST" && url.pathname === "/fal-ai/moondream3-preview/query") {
      const input = body as { image_url?: unknown; prompt?: unknown; reasoning?: unknown } | undefined;
      const missing = ["image_url", "prompt"].filter((f) => typeof input?.[f as keyof typeof input] !== "string");
      if (missing.length > 0) {
        return respond(422, {
          detail: missing.map((f) => ({ loc: ["body", f], msg: "field required", type: "value_error.missing" })),
        });
      }
      const next = this.#queries.shift() ?? { kind: "text", output: JSON.stringify(this.defaultAttributes) };
      if (next.kind === "error") return respond(next.status, next.body);
      return respond(200, {
        output: next.output,
        // Reasoning is on unless the request turns it off.
        ...(input?.reasoning === false
          ? {}
          : { reasoning: { text: "Looked at the face and its surroundings.", grounding: [] } }),
        finish_reason: "stop",
        usage_info: {
          decode_time_ms: 88.1,
          input_tokens: 774,
          output_tokens: 41,
          prefill_time_ms: 61.2,
          ttft_ms: 97.6,
        },
      });
    }
    const requestPath = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)(\/status|\/cancel)?$/.exec(url.pathname);
    if (requestPath) {
      const [, app, id, tail] = requestPath;
      const job = this.jobs.get(id ?? "");
      if (!job || job.app !== app) return respond(404, { status: "NOT_FOUND", detail: "Request not found" });
      const urls = this.#urls(job);
      if (tail === "/status" && request.method === "GET") {
        const logs =
          url.searchParams.get("logs") === "1"
            ? job.logs.map((message) => ({
                message,
                level: "INFO",
                source: "USER",
                timestamp: new Date().toISOString(),
              }))
            : [];
        if (job.state === "IN_QUEUE")
          return respond(200, { status: "IN_QUEUE", queue_position: job.position, ...urls });
        if (job.state === "IN_PROGRESS") return respond(200, { status: "IN_PROGRESS", logs, ...urls });
        return respond(200, { status: "COMPLETED", logs, metrics: { inference_time: 312.5 }, ...urls });
      }
      if (tail === "/cancel" && request.method === "PUT") {
        if (job.state === "COMPLETED") return respond(400, { status: "ALREADY_COMPLETED" });
        job.cancelRequested = true;
        job.state = "COMPLETED";
        job.result = { status: 400, body: { detail: "Request was cancelled", error_type: "request_cancelled" } };
        return respond(202, { status: "CANCELLATION_REQUESTED" });
      }
      if (!tail && request.method === "GET") {
        if (job.state !== "COMPLETED" || !job.result) return respond(400, { detail: "Request is still in progress" });
        return respond(job.result.status, job.result.body);
      }
    }
    if (request.method === "POST" && /^\/[^/]+\/[^/]+/.test(url.pathname)) {
      const failure = this.#submitFailure;
      this.#submitFailure = null;
      if (failure === "network") throw new TypeError("Network connection lost.");
      if (failure) return respond(failure.status, failure.body);
      const [, owner, app] = url.pathname.split("/");
      const id = crypto.randomUUID();
      const job: QueueJob = {
        id,
        app: `${owner}/${app}`,
        input: (body ?? {}) as Record<string, unknown>,
        webhookUrl: url.searchParams.get("fal_webhook"),
        state: "IN_QUEUE",
        position: 2,
        logs: [],
        result: null,
        cancelRequested: false,
      };
      this.jobs.set(id, job);
      this.onSubmit?.(job);
      return respond(200, { request_id: id, status: "IN_QUEUE", queue_position: job.position, ...this.#urls(job) });
    }
    return respond(404, { detail: "Not Found" });
  }

  #urls(job: QueueJob): Record<string, string> {
    const base = `https://queue.fal.run/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }
}
