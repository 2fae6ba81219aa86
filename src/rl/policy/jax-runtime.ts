/**
 * Loading @jax-js/jax for the in-process policy, optionally with its multi-threaded Wasm backend.
 *
 * jax-js decides once, while its module is first evaluated, whether the Wasm backend runs kernels
 * on a pool of Web Workers over a shared memory (it needs a global `Worker`). Node 20 has no Web
 * Worker, so the policy loads jax-js lazily (`await import`) after installing a small adapter over
 * node:worker_threads (node-web-worker.ts). The choice is therefore process-wide and fixed by the
 * first `loadJax()`; nothing in drkit imports @jax-js/jax statically for that reason.
 *
 * Threads: `DRKIT_JAX_THREADS` (`auto` = os.availableParallelism(), or an integer; 1 = every kernel
 * on the main thread) or the `threads` option. The default is 1: the pool synchronises its workers
 * after every kernel (≈350 per train step), which only pays when the cores are otherwise idle; on
 * the shared 2-core machine the bench measured it 0.75–0.85× the single-thread speed (see
 * docs/training.md, Benchmarks). Results are bit-identical whatever the thread count (each kernel
 * is split by output element, so every element is computed by the same code in the same order).
 * The global `Worker` must stay installed once jax-js has loaded with threads (its kernels are
 * compiled for a shared memory). In runtimes with their own Web Worker (browsers, Deno, Bun),
 * jax-js always pools.
 */
import { availableParallelism } from "node:os";
import type * as JaxModule from "@jax-js/jax";
import { ConfigError } from "../../core/errors.js";
import { installNodeWebWorker } from "./node-web-worker.js";

export type Jax = typeof JaxModule;

export interface JaxRuntime {
  jax: Jax;
  /** Workers that run the Wasm kernels (1 = main thread only). */
  threads: number;
}

export interface JaxRuntimeOptions {
  /** Wasm worker threads; overrides DRKIT_JAX_THREADS. */
  threads?: number;
}

/** Threads asked for by DRKIT_JAX_THREADS (`auto` = the machine's parallelism); 1 when unset. */
export function jaxThreadsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): number {
  const raw = environment.DRKIT_JAX_THREADS?.trim();
  if (raw === undefined || raw === "") return 1;
  if (raw.toLowerCase() === "auto") return availableParallelism();
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ConfigError(
      `DRKIT_JAX_THREADS must be "auto" or a positive integer (got "${raw}"); use 1 for a single thread`,
    );
  }
  return threads;
}

let runtime: Promise<JaxRuntime> | undefined;

/**
 * Load @jax-js/jax and start its Wasm backend (once per process; later calls return the first
 * runtime whatever their options). With more than one thread, kernels run asynchronously on
 * worker threads: read results with `await array.data()`, never `dataSync()`.
 */
export function loadJax(options: JaxRuntimeOptions = {}): Promise<JaxRuntime> {
  runtime ??= start(options.threads ?? jaxThreadsFromEnvironment());
  return runtime;
}

async function start(threads: number): Promise<JaxRuntime> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ConfigError(`threads must be a positive integer (${threads})`);
  }
  if (threads > 1) installNodeWebWorker();
  // Where the runtime already has a Web Worker (browsers, Deno, Bun), jax-js pools whatever is asked.
  const pooled = typeof (globalThis as { Worker?: unknown }).Worker !== "undefined";
  // jax-js sizes its pool from navigator.hardwareConcurrency while its module is evaluated: a
  // navigator saying `threads` is lent for that moment only, so no other library sees a "browser".
  const previous = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  const lend = pooled && threads > 1 && (previous === undefined || previous.configurable === true);
  if (lend) {
    Object.defineProperty(globalThis, "navigator", {
      value: { hardwareConcurrency: threads },
      configurable: true,
      writable: true,
    });
  }
  const existing = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const workers = pooled ? Math.max(1, existing?.hardwareConcurrency || 4) : 1;
  try {
    const jax = await import("@jax-js/jax");
    // init() without arguments probes WebGPU and crashes on Node.
    await jax.init("wasm");
    return { jax, threads: workers };
  } finally {
    if (lend) {
      if (previous) Object.defineProperty(globalThis, "navigator", previous);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  }
}
