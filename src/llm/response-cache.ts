/**
 * On-disk response cache (SQLite) keyed by a SHA-256 of the full request (endpoint, model and body), so a re-run
 * replays the same replies. Used by the model client and by tools (`namespace` separates them).
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** Stable JSON: object keys sorted, so equal requests hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

export function requestHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

export interface ResponseCache {
  get<T>(namespace: string, key: unknown): T | undefined;
  set(namespace: string, key: unknown, value: unknown): void;
  close(): void;
}

/** SQLite-backed cache at `path` (created with its folder). WAL mode, so several processes can share it. */
export class SqliteResponseCache implements ResponseCache {
  private readonly database: Database.Database;
  private readonly selectStatement: Database.Statement;
  private readonly insertStatement: Database.Statement;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.database = new Database(path);
    this.database.pragma("journal_mode = WAL");
    this.database.pragma("busy_timeout = 5000");
    this.database.exec(
      "CREATE TABLE IF NOT EXISTS responses (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (namespace, key))",
    );
    this.selectStatement = this.database.prepare("SELECT value FROM responses WHERE namespace = ? AND key = ?");
    this.insertStatement = this.database.prepare(
      "INSERT OR REPLACE INTO responses (namespace, key, value, created_at) VALUES (?, ?, ?, ?)",
    );
  }

  get<T>(namespace: string, key: unknown): T | undefined {
    const row = this.selectStatement.get(namespace, requestHash(key)) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(namespace: string, key: unknown, value: unknown): void {
    this.insertStatement.run(namespace, requestHash(key), JSON.stringify(value), new Date().toISOString());
  }

  close(): void {
    if (this.database.open) this.database.close();
  }
}

/** In-memory cache (tests, one-off runs). */
export class MemoryResponseCache implements ResponseCache {
  private readonly map = new Map<string, string>();

  get<T>(namespace: string, key: unknown): T | undefined {
    const value = this.map.get(`${namespace}\u0000${requestHash(key)}`);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  set(namespace: string, key: unknown, value: unknown): void {
    this.map.set(`${namespace}\u0000${requestHash(key)}`, JSON.stringify(value));
  }

  close(): void {
    this.map.clear();
  }
}
