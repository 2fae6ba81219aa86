/**
 * `npm run bench` lists the benches with the first line of their description;
 * `npm run bench -- <name> [<name> …]` runs the named ones in turn (e.g. `npm run bench -- rl-train-step rl-losses`).
 * Each bench prints its figures as ratios against anchors measured in the same run; run them on a quiet
 * machine (the load average matters on 2 shared cores).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const directory = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(directory)
  .filter((file) => file.endsWith(".ts") && file !== "run-all.ts" && file !== "agent-fixture-server.ts")
  .map((file) => file.replace(/\.ts$/, ""))
  .sort();

function summary(name: string): string {
  const text = readFileSync(join(directory, `${name}.ts`), "utf8");
  const match = /\/\*\*\s*\n\s*\*\s*(.+)/.exec(text);
  return match?.[1]?.trim() ?? "";
}

const requested = process.argv.slice(2);
if (requested.length === 0) {
  process.stdout.write("benches (run with: npm run bench -- <name> …):\n");
  for (const name of benches) process.stdout.write(`  ${name.padEnd(22)} ${summary(name)}\n`);
} else {
  for (const name of requested) {
    if (!benches.includes(name)) {
      process.stderr.write(`unknown bench "${name}"; known: ${benches.join(", ")}\n`);
      process.exitCode = 2;
      break;
    }
    process.stdout.write(`\n== ${name} ==\n`);
    const result = spawnSync(process.execPath, ["--import", "tsx", join(directory, `${name}.ts`)], {
      stdio: "inherit",
    });
    if (result.status !== 0) {
      process.exitCode = result.status ?? 1;
      break;
    }
  }
}
