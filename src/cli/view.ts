/** `drkit view <run-dir|file>`: browse trajectories in the web viewer. */
import type { Command } from "commander";
import { startViewerServer } from "../serve/viewer-server.js";
import { addRequestGuardOptions, integerOption, requestGuardFrom } from "./context.js";

export function registerViewCommand(program: Command): void {
  const view = program
    .command("view")
    .description("open the trajectory viewer on a run directory or a trajectories JSONL file")
    .argument("<path>", "run directory (with trajectories.jsonl) or a JSONL file of trajectory records")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on", integerOption("port"), 8080);
  addRequestGuardOptions(view).action(
    async (path: string, options: { host: string; port: number; allowHost?: string[]; allowOrigin?: string[] }) => {
      const running = await startViewerServer({
        path,
        host: options.host,
        port: options.port,
        guard: requestGuardFrom(options),
      });
      process.stderr.write(`drkit viewer: ${running.url}  (Ctrl-C to stop)\n`);
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
