/**
 * Progress reporting for long work: a cli-progress bar with rate and ETA on a terminal, and plain
 * periodic lines when stderr is not a TTY (CI, pipes). Silent when `quiet`.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Advance by `n` and optionally update the extra fields shown after the bar (e.g. accuracy). */
  increment(n?: number, fields?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Extra fields rendered as `name=value` after the bar. */
  fields?: Record<string, string | number>;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  /** Initial value, for resumed work. */
  start?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { increment() {}, setTotal() {}, stop() {} };
  const fieldsText = (fields: Record<string, string | number> | undefined) =>
    fields
      ? Object.entries(fields)
          .map(([key, value]) => `${key}=${value}`)
          .join(" ")
      : "";
  if (!stream.isTTY) {
    let value = options.start ?? 0;
    let total = options.total;
    let fields = options.fields;
    let lastPrint = 0;
    const started = Date.now();
    const print = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastPrint < 2000) return;
      lastPrint = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? (value - (options.start ?? 0)) / seconds : 0;
      const eta = rate > 0 ? Math.round((total - value) / rate) : 0;
      stream.write(`${options.label} ${value}/${total} ${rate.toFixed(1)}/s eta ${eta}s ${fieldsText(fields)}\n`);
    };
    return {
      increment(n = 1, next) {
        value += n;
        if (next) fields = { ...fields, ...next };
        print(value >= total);
      },
      setTotal(next) {
        total = next;
      },
      stop() {
        print(true);
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {value}/{total} {percentage}% | {rate}/s | eta {eta_formatted} {extra}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let extra = options.fields;
  bar.start(options.total, options.start ?? 0, { rate: "0.0", extra: fieldsText(extra) });
  return {
    increment(n = 1, next) {
      if (next) extra = { ...extra, ...next };
      const seconds = (Date.now() - started) / 1000;
      const done = (bar.getProgress() * bar.getTotal() || 0) + n - (options.start ?? 0);
      bar.increment(n, { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0.0", extra: fieldsText(extra) });
    },
    setTotal(total) {
      bar.setTotal(total);
    },
    stop() {
      bar.stop();
    },
  };
}
