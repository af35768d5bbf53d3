// The few Node modules the Worker uses, which the `nodejs_compat` flag provides at run time. The
// Worker's types come from `npm run types`, not @types/node, so the parts used are declared here.
declare module "node:buffer" {
  export const Buffer: { from(bytes: Uint8Array): Uint8Array };
}
declare module "node:events" {
  export class EventEmitter {
    emit(event: string, ...args: unknown[]): boolean;
    listenerCount(event: string): number;
  }
}
declare module "node:zlib" {
  interface Inflate {
    /** The compressed bytes zlib has consumed. */
    readonly bytesWritten: number;
    on(event: "data", listener: (chunk: Uint8Array) => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    on(event: "end" | "close", listener: () => void): this;
    write(chunk: Uint8Array): boolean;
    end(): void;
    destroy(): void;
  }
  export function createInflate(options?: { chunkSize?: number }): Inflate;
}
