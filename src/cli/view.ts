/**
 * `drkit view <path>`: a trajectories file or an evaluation run directory opens the trajectory viewer; any other
 * folder opens the workbench over the runs found in it (training curves of every run, several overlaid).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { NotFoundError } from "../core/errors.js";
import { startViewerServer } from "../serve/viewer-server.js";
import { startWorkbenchServer } from "../serve/workbench-server.js";
import { addRequestGuardOptions, integerOption, requestGuardFrom } from "./context.js";

/** Whether `path` is one trajectory source (a file, or a run directory holding trajectories.jsonl). */
function isTrajectorySource(path: string): boolean {
  if (!existsSync(path)) throw new NotFoundError(`no file or folder at ${path}`);
  return !statSync(path).isDirectory() || existsSync(join(path, "trajectories.jsonl"));
}

export function registerViewCommand(program: Command): void {
  const view = program
    .command("view")
    .description(
      "open the trajectory viewer on a trajectories file or evaluation run, or the workbench on a folder of runs",
    )
    .argument(
      "<path>",
      "a JSONL file of trajectory records, a run directory with trajectories.jsonl, or a folder of runs",
    )
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on", integerOption("port"), 8080);
  addRequestGuardOptions(view).action(
    async (path: string, options: { host: string; port: number; allowHost?: string[]; allowOrigin?: string[] }) => {
      const settings = { path, host: options.host, port: options.port, guard: requestGuardFrom(options) };
      const workbench = !isTrajectorySource(path);
      const running = workbench ? await startWorkbenchServer(settings) : await startViewerServer(settings);
      process.stderr.write(`drkit ${workbench ? "workbench" : "viewer"}: ${running.url}  (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          void running.close().then(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    },
  );
}
