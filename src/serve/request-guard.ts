/**
 * Who may call a local drkit server. A server bound to a loopback address answers only requests whose `Host` is a
 * loopback name (a web page on a DNS-rebound domain cannot reach it), and no server answers a browser's
 * cross-origin request (`Origin` of another site) unless that origin is allowed. Clients that are not browsers
 * (Python trainers, curl) send no `Origin` and a loopback `Host`, so they pass unchanged.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.js";

export interface RequestGuardOptions {
  /** Extra host names accepted in `Host` (e.g. a name this machine is reached by); loopback names always pass. */
  allowedHosts?: readonly string[];
  /** Origins (`scheme://host:port`, or `*`) whose browser pages may call the server. Same-origin always passes. */
  allowedOrigins?: readonly string[];
}

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"];

function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return LOOPBACK_HOSTS.includes(bare) || bare.startsWith("127.") || bare.endsWith(".localhost");
}

/** The host name of a `Host` header, without the port or IPv6 brackets, lower-cased. */
export function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith("[")) return trimmed.slice(1, trimmed.indexOf("]") === -1 ? undefined : trimmed.indexOf("]"));
  return trimmed.replace(/:\d*$/, "");
}

export interface RequestGuard {
  /** The refusal for a request (403), or undefined when it may be answered. */
  check(request: IncomingMessage): HttpError | undefined;
  /** CORS headers for an allowed cross-origin request (none otherwise). */
  corsHeaders(request: IncomingMessage): Record<string, string>;
}

/**
 * The guard for a server bound to `boundHost`. Bound to all interfaces (`0.0.0.0`, `::`) or another address, the
 * server is meant for other machines, and `Host` is checked only when `allowedHosts` names some.
 */
export function createRequestGuard(boundHost: string, options: RequestGuardOptions = {}): RequestGuard {
  const extraHosts = (options.allowedHosts ?? []).map((host) => hostName(host));
  const checkHost = isLoopbackAddress(boundHost) || extraHosts.length > 0;
  const origins = new Set(options.allowedOrigins ?? []);
  const originAllowed = (origin: string) => origins.has("*") || origins.has(origin);
  return {
    check(request) {
      const host = request.headers.host ?? "";
      if (checkHost) {
        const name = hostName(host);
        if (!(isLoopbackAddress(name) || extraHosts.includes(name) || name === hostName(boundHost)))
          return new HttpError(
            403,
            `Host "${host}" refused: this server answers localhost, 127.0.0.1 and [::1] (a guard against DNS rebinding); start it with --allow-host ${name || "<name>"} to accept that name`,
          );
      }
      const origin = request.headers.origin;
      if (origin === undefined || originAllowed(origin)) return undefined;
      if (origin !== "null" && sameOrigin(origin, host)) return undefined;
      return new HttpError(
        403,
        `cross-origin request from ${origin} refused: start the server with --allow-origin ${origin} to let that page call it`,
      );
    },
    corsHeaders(request): Record<string, string> {
      const origin = request.headers.origin;
      if (origin === undefined || !originAllowed(origin)) return {};
      return {
        "Access-Control-Allow-Origin": origins.has("*") ? "*" : origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        Vary: "Origin",
      };
    },
  };
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
