/**
 * The drkit error hierarchy. Every error drkit throws on purpose is a `DrkitError` with a stable `code`
 * and a message that says what to do. `isInstance` works across duplicate copies of the package
 * (a `Symbol.for` marker, as the AI SDK does), where `instanceof` would not.
 */
const marker = Symbol.for("drkit.error");

export type ErrorCode =
  | "config"
  | "input"
  | "data"
  | "not-found"
  | "corpus"
  | "provider"
  | "tool-input"
  | "tool-timeout"
  | "tool"
  | "budget"
  | "max-turns"
  | "judge"
  | "protocol"
  | "cancelled"
  | "training";

export class DrkitError extends Error {
  readonly [marker] = true;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is DrkitError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Invalid configuration (file, environment or flags). */
export class ConfigError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("config", message, options);
  }
}

/** Invalid user input to a command or API call (not a data file). */
export class InputError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("input", message, options);
  }
}

/** Malformed data in a file; carries the file and 1-based line (or row) so the user can fix it. */
export class DataError extends DrkitError {
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(message: string, location: { file?: string; line?: number } = {}, options?: { cause?: unknown }) {
    const where = location.file ? `${location.file}${location.line !== undefined ? `:${location.line}` : ""}: ` : "";
    super("data", `${where}${message}`, options);
    this.file = location.file;
    this.line = location.line;
  }
}

/** Something named by the user (corpus, benchmark, run, checkpoint) does not exist. */
export class NotFoundError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("not-found", message, options);
  }
}

/** A corpus store is unusable (corrupt, wrong version, locked). */
export class CorpusError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("corpus", message, options);
  }
}

/** A model or search provider failed; `status` is the HTTP status when there was one. */
export class ProviderError extends DrkitError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    details: { status?: number; retryAfterMs?: number; retryable?: boolean } = {},
    options?: { cause?: unknown },
  ) {
    super("provider", message, options);
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.retryable ?? false;
  }
}

/** A tool was called with arguments that do not match its schema. */
export class ToolInputError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("tool-input", message, options);
  }
}

/** A tool did not finish in time. */
export class ToolTimeoutError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("tool-timeout", message, options);
  }
}

/** A tool failed for another reason (network, refused URL, missing key). */
export class ToolError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("tool", message, options);
  }
}

/** A budget (tokens, cost, wall clock, calls) was exhausted. */
export class BudgetExceededError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("budget", message, options);
  }
}

export class MaxTurnsExceededError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("max-turns", message, options);
  }
}

/** An LLM judge could not produce a verdict. */
export class JudgeError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("judge", message, options);
  }
}

/** A model's output could not be parsed under the agent protocol. */
export class ProtocolError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("protocol", message, options);
  }
}

/** Work was cancelled through an AbortSignal. */
export class CancelledError extends DrkitError {
  constructor(message = "the operation was cancelled", options?: { cause?: unknown }) {
    super("cancelled", message, options);
  }
}

/** Training failed (bad batch, diverged loss, incompatible checkpoint). */
export class TrainingError extends DrkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("training", message, options);
  }
}

/** A short human message for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A Node system error (`fs`, `net`): a `code` such as ENOENT and often the `path` or `address` it concerns. */
interface SystemError {
  code: string;
  path?: string;
  address?: string;
  port?: number;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/**
 * One line for the system errors a user causes or can fix (a directory given as a file, a missing file, a busy
 * port, a full disk), with the exit code: 2 for a mistake in the command, 1 for the machine. Undefined for others.
 */
export function describeSystemError(error: unknown): { message: string; exitCode: number } | undefined {
  if (!isSystemError(error)) return undefined;
  const path = error.path ?? "a path given";
  switch (error.code) {
    case "EISDIR":
      return {
        message: error.path
          ? `${path} is a directory: give a file path`
          : "a directory was given where a file is expected: check the file options (--from, --in, --out, --data)",
        exitCode: 2,
      };
    case "ENOENT":
      return { message: `no such file or directory: ${path}`, exitCode: 2 };
    case "ENOTDIR":
      return { message: `${path}: a part of this path is a file, not a directory`, exitCode: 2 };
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return { message: `no permission to write or read ${path}: pick another path`, exitCode: 2 };
    case "EADDRINUSE":
      return {
        message: `${error.address ?? "the address"}:${error.port ?? "?"} is already in use: pass another --port, or stop the other server`,
        exitCode: 2,
      };
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return {
        message: "another drkit process is writing this file (a build of the same corpus?): wait for it or stop it",
        exitCode: 1,
      };
    case "ENOSPC":
    case "EDQUOT":
    case "SQLITE_FULL":
      return {
        message: `the disk is full${error.path ? ` (writing ${error.path})` : ""}: free some space and run the same command again; what was written before is kept`,
        exitCode: 1,
      };
    default:
      return undefined;
  }
}
