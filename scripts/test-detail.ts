// `npm run test:detail` (part of `npm test`): builds test/detail/crop-detail.ts with the Worker's image
// code and runs it in Node, where sharp (the reference, a devDependency) runs.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";
import { wasmModules } from "./esbuild-wasm.ts";

const OUT = ".tmp/detail/crop-detail.mjs";
await build({
  entryPoints: ["test/detail/crop-detail.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  outfile: OUT,
  plugins: [wasmModules],
  external: ["sharp"],
  logLevel: "error",
});
process.exit(spawnSync(process.execPath, [OUT], { stdio: "inherit" }).status ?? 1);
