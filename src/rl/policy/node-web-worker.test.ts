import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { jaxThreadsFromEnvironment } from "./jax-runtime.js";
import { NodeWebWorker, type WebWorkerErrorEvent } from "./node-web-worker.js";

function blobUrl(source: string): string {
  return URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
}

function nextMessage(worker: NodeWebWorker): Promise<unknown> {
  return new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
  });
}

describe("NodeWebWorker (Web Worker API over worker_threads)", () => {
  it("runs a blob-URL worker, buffers messages posted before it starts and shares WebAssembly memory", async () => {
    const worker = new NodeWebWorker(
      blobUrl(`
        let memory = null;
        self.onmessage = (e) => {
          if (e.data.type === "init") { memory = e.data.memory; postMessage({ type: "ready" }); return; }
          new Int32Array(memory.buffer)[e.data.index] = e.data.value * 2;
          postMessage({ type: "done", ok: true });
        };
      `),
    );
    // A shared WebAssembly.Memory, as jax-js posts (@types/node does not declare WebAssembly).
    const { Memory } = (
      globalThis as unknown as {
        WebAssembly: {
          Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
        };
      }
    ).WebAssembly;
    const memory = new Memory({ initial: 1, maximum: 1, shared: true });
    const ready = nextMessage(worker);
    worker.postMessage({ type: "init", memory }); // before the source has even been read
    expect(await ready).toEqual({ type: "ready" });
    const done = nextMessage(worker);
    worker.postMessage({ type: "set", index: 3, value: 21 });
    expect(await done).toEqual({ type: "done", ok: true });
    expect(new Int32Array(memory.buffer)[3]).toBe(42);
    worker.terminate();
  });

  it("reports a worker that fails to start through onerror", async () => {
    const worker = new NodeWebWorker(blobUrl(`throw new Error("broken worker source");`));
    const error = await new Promise<WebWorkerErrorEvent>((resolve) => {
      worker.onerror = resolve;
      worker.postMessage({ type: "init" });
    });
    expect(error.message).toContain("broken worker source");
    worker.terminate();
  });

  it("rejects URLs that are not blob: URLs", () => {
    expect(() => new NodeWebWorker("https://example.com/worker.js")).toThrow(/blob: URLs only/);
  });

  it("never keeps the process alive once a worker has answered", () => {
    const script = `
      import { NodeWebWorker } from "./src/rl/policy/node-web-worker.ts";
      const url = URL.createObjectURL(new Blob(["self.onmessage = (e) => postMessage(e.data + 1);"]));
      const worker = new NodeWebWorker(url);
      worker.onmessage = (e) => console.log("reply", e.data);
      worker.postMessage(41);
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.status).toBe(0);
    expect(child.stdout).toContain("reply 42");
  });
});

describe("jaxThreadsFromEnvironment", () => {
  it("reads DRKIT_JAX_THREADS (auto = the machine's parallelism) and defaults to one thread", () => {
    expect(jaxThreadsFromEnvironment({})).toBe(1);
    expect(jaxThreadsFromEnvironment({ DRKIT_JAX_THREADS: "1" })).toBe(1);
    expect(jaxThreadsFromEnvironment({ DRKIT_JAX_THREADS: "3" })).toBe(3);
    expect(jaxThreadsFromEnvironment({ DRKIT_JAX_THREADS: "auto" })).toBe(availableParallelism());
    expect(() => jaxThreadsFromEnvironment({ DRKIT_JAX_THREADS: "0" })).toThrow(/positive integer/);
    expect(() => jaxThreadsFromEnvironment({ DRKIT_JAX_THREADS: "two" })).toThrow(/positive integer/);
  });
});
