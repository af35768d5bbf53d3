// Imported first by the fuzz worker: records the largest single allocation a case makes (typed arrays,
// ArrayBuffers and WASM memories created or grown), so a decoder that sizes a buffer from a crafted
// header is caught even when the machine had the memory to give.
export const allocations = { largest: 0, where: "" };

export function resetAllocations(): void {
  allocations.largest = 0;
  allocations.where = "";
}

function note(bytes: number, where: string): void {
  if (bytes > allocations.largest) {
    allocations.largest = bytes;
    allocations.where = where;
  }
}

const g = globalThis as unknown as Record<string, unknown>;
for (const name of [
  "Uint8Array",
  "Uint8ClampedArray",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
]) {
  const Original = g[name] as { new (...args: unknown[]): ArrayBufferView; BYTES_PER_ELEMENT: number };
  g[name] = new Proxy(Original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number") note(args[0] * target.BYTES_PER_ELEMENT, name);
      return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
    },
  });
}
const OriginalBuffer = ArrayBuffer;
g.ArrayBuffer = new Proxy(OriginalBuffer, {
  construct(target, args, newTarget) {
    if (typeof args[0] === "number") note(args[0], "ArrayBuffer");
    return Reflect.construct(target, args, newTarget === g.ArrayBuffer ? target : newTarget);
  },
});

/** WASM memories still alive; a memory's size is the most it was ever grown to (memories never shrink). */
let wasmMemories: Array<WeakRef<WebAssembly.Memory>> = [];
const OriginalInstance = WebAssembly.Instance;
const track = (instance: WebAssembly.Instance) => {
  for (const value of Object.values(instance.exports))
    if (value instanceof WebAssembly.Memory) wasmMemories.push(new WeakRef(value));
  return instance;
};
(WebAssembly as { Instance: unknown }).Instance = new Proxy(OriginalInstance, {
  construct(target, args) {
    return track(Reflect.construct(target, args) as WebAssembly.Instance);
  },
});
const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly);
(WebAssembly as { instantiate: unknown }).instantiate = async (...args: Parameters<typeof originalInstantiate>) => {
  // A module that reports its memory's growth (emscripten's standalone builds do) is measured as it
  // grows, so a fresh instance collected before the case ends is still counted.
  const env = (args[1] as { env?: Record<string, unknown> } | undefined)?.env;
  const notify = env?.emscripten_notify_memory_growth;
  let memory: WebAssembly.Memory | undefined;
  if (env && typeof notify === "function") {
    env.emscripten_notify_memory_growth = (index: number) => {
      if (memory) note(memory.buffer.byteLength, "WASM memory");
      return notify(index);
    };
  }
  const result = (await originalInstantiate(...args)) as unknown;
  const instance =
    result instanceof OriginalInstance ? result : (result as { instance: WebAssembly.Instance }).instance;
  memory = Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
  if (result instanceof OriginalInstance) return track(result);
  const pair = result as { instance: WebAssembly.Instance };
  track(pair.instance);
  return pair;
};

export function largestWasmMemory(): number {
  let largest = 0;
  wasmMemories = wasmMemories.filter((ref) => {
    const memory = ref.deref();
    if (memory) largest = Math.max(largest, memory.buffer.byteLength);
    return memory !== undefined;
  });
  return largest;
}
