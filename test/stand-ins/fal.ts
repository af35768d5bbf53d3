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

type Programmed = { kind: "faces"; faces: FalFace[] } | { kind: "error"; status: number; body: unknown };

export const ONE_FACE: FalFace[] = [{ x_min: 0.35, y_min: 0.2, x_max: 0.65, y_max: 0.6 }];

export class FalStandIn {
  readonly calls: FalCall[] = [];
  readonly #script: Programmed[] = [];
  /** What detection answers when nothing is programmed: one face, as in an ordinary portrait. */
  defaultFaces: FalFace[] = ONE_FACE;

  constructor(
    readonly key: string,
    readonly origin: string,
  ) {}

  serves(url: string): boolean {
    return url.startsWith(this.origin);
  }

  /** The next detections see these faces, in order. */
  seeFaces(...answers: FalFace[][]): void {
    for (const faces of answers) this.#script.push({ kind: "faces", faces });
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
    return respond(404, { detail: "Not Found" });
  }
}
