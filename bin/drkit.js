#!/usr/bin/env node
// Entry point of the `drkit` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "cli", "main.js");
if (!existsSync(compiled)) {
  process.stderr.write("drkit: the compiled CLI is missing. Run `npm run build` (or `npm ci`, which builds) first.\n");
  process.exit(1);
}
const { main } = await import(pathToFileURL(compiled).href);
process.exitCode = await main(process.argv);
