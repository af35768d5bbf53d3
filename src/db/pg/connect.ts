import { connect } from "cloudflare:sockets";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import postgres from "postgres";

/** A postgres.js client of one connection, over a WorkerSocket; end it when done. */
export function connectPostgres(connectionString: string): postgres.Sql {
  const options = {
    max: 1,
    fetch_types: false,
    onnotice: () => {},
    socket: ({ host, port }: { host: string[]; port: number[] }) => new WorkerSocket(host[0] ?? "", port[0] ?? 5432),
  };
  // `socket` is a documented option that postgres.js's types leave out.
  return postgres(connectionString, options as postgres.Options<Record<string, never>>);
}

/**
 * A socket for postgres.js's `socket` option, over the Workers TCP API. postgres.js's own Workers
 * shim emits an "error" after `end()` has removed every listener, which surfaces as an unhandled
 * "This socket has been closed"; this one treats a read failing after its own close as the end it is.
 * Plain TCP only: Hyperdrive's binding is reached without TLS (Hyperdrive encrypts the hop to the database).
 */
export class WorkerSocket extends EventEmitter {
  readyState: "open" | "closed" = "open";
  readonly #socket: Socket;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closing = false;

  constructor(host: string, port: number) {
    super();
    this.#socket = connect({ hostname: host, port });
    this.#writer = this.#socket.writable.getWriter();
    void this.#read();
  }

  write(data: Uint8Array, callback?: () => void): boolean {
    this.#writer.write(data).then(callback, (error: unknown) => this.#fail(error));
    return true;
  }

  end(data?: Uint8Array): void {
    this.#closing = true;
    const close = () => this.#socket.close().catch(() => {});
    if (data) this.#writer.write(data).then(close, close);
    else void close();
  }

  destroy(): void {
    this.end();
  }

  async #read(): Promise<void> {
    const reader = this.#socket.readable.getReader();
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        this.emit("data", Buffer.from(chunk.value));
      }
    } catch (error) {
      this.#fail(error);
    }
    this.readyState = "closed";
    this.emit("close");
  }

  #fail(error: unknown): void {
    if (!this.#closing && this.listenerCount("error") > 0) this.emit("error", error);
  }
}
