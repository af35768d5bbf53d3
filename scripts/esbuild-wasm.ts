import { createRequire } from "node:module";
import type { Plugin } from "esbuild";

const require = createRequire(import.meta.url);

/** Lets Node run code that imports `.wasm` as Workers do: each import becomes a compiled WebAssembly.Module. */
export const wasmModules: Plugin = {
  name: "wasm-modules",
  setup(build) {
    build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => ({
      path: require.resolve(args.path.replace(/\?module$/, ""), { paths: [args.resolveDir] }),
      namespace: "wasm",
    }));
    build.onLoad({ filter: /.*/, namespace: "wasm" }, (args) => ({
      contents: `import { readFileSync } from "node:fs";
export default new WebAssembly.Module(readFileSync(${JSON.stringify(args.path)}));`,
      loader: "js",
      resolveDir: "/",
    }));
  },
};
