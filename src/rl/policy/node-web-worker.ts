/**
 * A minimal Web `Worker` over `node:worker_threads`, enough for libraries written for the browser
 * that start classic workers from a Blob URL and talk to them with `postMessage`/`onmessage`
 * (jax-js's Wasm worker pool does exactly this).
 *
 * - `new NodeWebWorker(blobUrl)` resolves the URL with `resolveObjectURL` (node:buffer), reads the
 *   source asynchronously and starts it with `eval`; messages posted before that are buffered.
 * - Inside the worker, `self`, `self.onmessage` and the global `postMessage` behave as in a browser.
 * - A worker keeps the process alive only while it owes replies (each message posted to it is
 *   expected to be answered by one message back); an idle worker never holds the process open.
 *
 * Nothing here runs at import time; `installNodeWebWorker` sets `globalThis.Worker` when asked.
 */
import { resolveObjectURL } from "node:buffer";
import { Worker } from "node:worker_threads";

/** Evaluated before the worker's own source: the browser globals it expects. */
const PRELUDE = `
const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (data, transfer) => parentPort.postMessage(data, transfer);
parentPort.on("message", (data) => {
  const handler = globalThis.onmessage;
  if (typeof handler === "function") handler.call(globalThis, { data });
});
`;

export interface WebWorkerMessageEvent {
  data: unknown;
}

export interface WebWorkerErrorEvent {
  message: string;
  error: unknown;
}

export class NodeWebWorker {
  onmessage: ((event: WebWorkerMessageEvent) => void) | null = null;
  onerror: ((event: WebWorkerErrorEvent) => void) | null = null;
  private worker: Worker | undefined;
  private queued: [unknown, readonly unknown[] | undefined][] = [];
  private owed = 0;
  private terminated = false;
  /** Holds the process open while messages wait for the source to be read (a Blob read does not). */
  private startingHold: ReturnType<typeof setInterval> | undefined;

  constructor(url: string | URL, _options?: { type?: string; name?: string }) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`NodeWebWorker supports blob: URLs only (got ${String(url)})`);
    blob.text().then(
      (source) => this.start(source),
      (error: unknown) => this.fail(error),
    );
  }

  private start(source: string): void {
    this.releaseStartingHold();
    if (this.terminated) return;
    // No inherited execArgv: the source is a classic script, whatever flags (loaders, --input-type)
    // started this process.
    const worker = new Worker(`${PRELUDE}\n${source}`, { eval: true, execArgv: [] });
    this.worker = worker;
    worker.on("message", (data: unknown) => {
      this.owed = Math.max(0, this.owed - 1);
      if (this.owed === 0) worker.unref();
      this.onmessage?.({ data });
    });
    worker.on("error", (error: Error) => this.fail(error));
    worker.on("messageerror", (error: Error) => this.fail(error));
    if (this.owed === 0) worker.unref();
    for (const [data, transfer] of this.queued) worker.postMessage(data, transfer as never);
    this.queued = [];
  }

  private releaseStartingHold(): void {
    if (this.startingHold !== undefined) clearInterval(this.startingHold);
    this.startingHold = undefined;
  }

  private fail(error: unknown): void {
    this.releaseStartingHold();
    this.owed = 0;
    this.worker?.unref();
    const message = error instanceof Error ? error.message : String(error);
    this.onerror?.({ message, error });
  }

  postMessage(data: unknown, transfer?: readonly unknown[]): void {
    if (this.terminated) return;
    this.owed += 1;
    if (!this.worker) {
      this.queued.push([data, transfer]);
      this.startingHold ??= setInterval(() => {}, 2 ** 30);
      return;
    }
    if (this.owed === 1) this.worker.ref();
    this.worker.postMessage(data, transfer as never);
  }

  terminate(): void {
    this.terminated = true;
    this.queued = [];
    this.releaseStartingHold();
    void this.worker?.terminate();
  }
}

/**
 * Make `globalThis.Worker` the Node adapter if the runtime has no Web Worker (Node < 22 and Node
 * without the browser globals). Returns whether it was installed now.
 */
export function installNodeWebWorker(): boolean {
  const scope = globalThis as { Worker?: unknown };
  if (typeof scope.Worker !== "undefined") return false;
  scope.Worker = NodeWebWorker;
  return true;
}
