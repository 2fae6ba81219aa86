/**
 * SSRF guard for fetching user- or model-chosen URLs: refuses loopback, private, link-local (cloud metadata),
 * carrier-grade NAT, multicast and reserved addresses, checked after DNS resolution and at connect time (a
 * guarded `lookup` in the HTTP agent), so every redirect hop and DNS rebinding are covered. Loopback or private
 * targets are allowed only when explicitly asked (tests allow loopback for the local site fixture).
 *
 * Used by the `visit` tool and by the synthesis crawler (`guardedFetch`).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { CancelledError, ToolError } from "../core/errors.js";

export interface SsrfGuardOptions {
  /** Allow 127.0.0.0/8 and ::1 (local test servers). Default false. */
  allowLoopback?: boolean;
  /** Allow RFC 1918 / unique-local / link-local / CGNAT addresses (an intranet crawl). Default false. */
  allowPrivate?: boolean;
  /** Hostnames always refused (default: cloud metadata names). */
  blockedHostnames?: string[];
}

const METADATA_HOSTNAMES = ["metadata.google.internal", "metadata", "metadata.azure.com", "instance-data"];

function buildLists() {
  const loopback = new BlockList();
  loopback.addSubnet("127.0.0.0", 8, "ipv4");
  loopback.addAddress("::1", "ipv6");
  const privateRanges = new BlockList();
  for (const [network, prefix] of [
    ["10.0.0.0", 8],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["100.64.0.0", 10],
    ["169.254.0.0", 16],
  ] as const)
    privateRanges.addSubnet(network, prefix, "ipv4");
  privateRanges.addSubnet("fc00::", 7, "ipv6");
  privateRanges.addSubnet("fe80::", 10, "ipv6");
  privateRanges.addSubnet("fec0::", 10, "ipv6"); // site-local (deprecated, still routed inside some networks)
  const alwaysBlocked = new BlockList();
  for (const [network, prefix] of [
    ["0.0.0.0", 8],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4],
  ] as const)
    alwaysBlocked.addSubnet(network, prefix, "ipv4");
  alwaysBlocked.addAddress("::", "ipv6");
  alwaysBlocked.addSubnet("ff00::", 8, "ipv6");
  alwaysBlocked.addSubnet("2001:db8::", 32, "ipv6");
  // The cloud metadata address stays blocked even when private ranges are allowed.
  const metadata = new BlockList();
  metadata.addAddress("169.254.169.254", "ipv4");
  metadata.addAddress("169.254.170.2", "ipv4");
  metadata.addAddress("fd00:ec2::254", "ipv6");
  return { loopback, privateRanges, alwaysBlocked, metadata };
}

/** The eight 16-bit groups of an IPv6 address (with `::` expanded and a dotted IPv4 tail), or undefined. */
export function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().replace(/%.*$/, "");
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array(zeros).fill("0"), ...right].map((group) => Number.parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff) ? groups : undefined;
}

function ipv4Of(high: number, low: number): string {
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * The IPv4 address an IPv6 address carries, in every transition form a URL can use: IPv4-mapped (`::ffff:0:0/96`,
 * also in hex), IPv4-compatible (`::/96`, e.g. `::127.0.0.1`), SIIT (`::ffff:0:0:0/96`), NAT64 (`64:ff9b::/96` and
 * the local-use `64:ff9b:1::/48`), 6to4 (`2002::/16`, bits 16–47) and Teredo (`2001::/32`, the client address
 * stored inverted in the last 32 bits).
 */
export function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroTo = (end: number) => g.slice(0, end).every((group) => group === 0);
  if (zeroTo(5) && g5 === 0xffff) return ipv4Of(g6, g7); // ::ffff:a.b.c.d
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return ipv4Of(g6, g7); // ::ffff:0:a.b.c.d
  if (zeroTo(6) && !(g6 === 0 && g7 <= 1)) return ipv4Of(g6, g7); // ::a.b.c.d (not :: or ::1)
  if (g0 === 0x64 && g1 === 0xff9b && ((g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) || g2 === 1))
    return ipv4Of(g6, g7); // NAT64
  if (g0 === 0x2002) return ipv4Of(g1, g2); // 6to4
  if (g0 === 0x2001 && g1 === 0) return ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff); // Teredo client
  return undefined;
}

export class SsrfGuard {
  private readonly lists = buildLists();
  private readonly blockedHostnames: Set<string>;

  constructor(readonly options: SsrfGuardOptions = {}) {
    this.blockedHostnames = new Set((options.blockedHostnames ?? METADATA_HOSTNAMES).map((h) => h.toLowerCase()));
  }

  /** Why an IP address is refused, or undefined when it may be fetched. */
  blockReason(ip: string): string | undefined {
    const bare = ip.replace(/^\[|\]$/g, "");
    const embedded = embeddedIPv4(bare);
    // An IPv6 address that carries an IPv4 one is judged by both (NAT64, 6to4 and Teredo reach the IPv4 host).
    if (embedded) return this.reasonFor(embedded, "ipv4") ?? this.reasonFor(bare, "ipv6");
    return this.reasonFor(bare, isIP(bare) === 4 ? "ipv4" : "ipv6");
  }

  private reasonFor(address: string, family: "ipv4" | "ipv6"): string | undefined {
    const { loopback, privateRanges, alwaysBlocked, metadata } = this.lists;
    if (metadata.check(address, family)) return "a cloud metadata address";
    if (alwaysBlocked.check(address, family)) return "a reserved, multicast or unspecified address";
    if (loopback.check(address, family)) return this.options.allowLoopback ? undefined : "a loopback address";
    if (privateRanges.check(address, family))
      return this.options.allowPrivate ? undefined : "a private or link-local address";
    return undefined;
  }

  /** Throws a ToolError when the URL may not be fetched (scheme, hostname, or any resolved address). */
  async check(url: string | URL): Promise<void> {
    const parsed = typeof url === "string" ? new URL(url) : url;
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new ToolError(`refusing to fetch ${parsed.href}: only http and https URLs are allowed`);
    const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (this.blockedHostnames.has(host)) throw new ToolError(`refusing to fetch ${parsed.href}: a metadata host`);
    if (host === "localhost" || host.endsWith(".localhost")) {
      if (!this.options.allowLoopback) throw new ToolError(`refusing to fetch ${parsed.href}: a loopback host`);
      return;
    }
    const addresses = isIP(host) ? [{ address: host }] : await this.resolve(host, parsed.href);
    for (const { address } of addresses) {
      const reason = this.blockReason(address);
      if (reason) throw new ToolError(`refusing to fetch ${parsed.href}: ${host} resolves to ${reason} (${address})`);
    }
  }

  private resolve(host: string, href: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => {
      dnsLookup(host, { all: true }, (error, addresses) => {
        if (error) reject(new ToolError(`cannot resolve ${href}: ${error.code ?? error.message}`));
        else resolve(addresses);
      });
    });
  }

  /** A `lookup` for sockets that refuses blocked addresses at connect time (DNS-rebinding safe). */
  readonly lookup = (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...(options as object), all: true }, (error, addresses) => {
      if (error) {
        callback(error, "");
        return;
      }
      for (const { address } of addresses) {
        const reason = this.blockReason(address);
        if (reason) {
          callback(Object.assign(new Error(`refused: ${hostname} resolves to ${reason}`), { code: "EBLOCKED" }), "");
          return;
        }
      }
      if ((options as { all?: boolean }).all) callback(null, addresses);
      else callback(null, addresses[0]?.address ?? "", addresses[0]?.family);
    });
  };

  private agentInstance: Agent | undefined;
  /** An undici Agent whose connections go through the guarded lookup. */
  agent(): Agent {
    this.agentInstance ??= new Agent({ connect: { lookup: this.lookup as never }, connections: 64 });
    return this.agentInstance;
  }

  async close(): Promise<void> {
    await this.agentInstance?.close();
    this.agentInstance = undefined;
  }
}

export interface GuardedFetchOptions {
  guard: SsrfGuard;
  /** Redirect hops followed (each re-checked). Default 5. */
  maxRedirects?: number;
  /** Body bytes read; the rest is dropped and `truncated` set. Default 5 MB. */
  maxBytes?: number;
  /** Whole fetch timeout. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Content types accepted (prefix match on the media type). Default: any. */
  acceptContentTypes?: string[];
}

export interface FetchedPage {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  body: Buffer;
  truncated: boolean;
  redirects: string[];
}

/** GET a URL through the SSRF guard with a redirect cap, a size cap, a timeout and a content-type check. */
export async function guardedFetch(url: string, options: GuardedFetchOptions): Promise<FetchedPage> {
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxBytes ?? 5_000_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const redirects: string[] = [];
  let current = new URL(url);
  try {
    for (let hop = 0; ; hop++) {
      await options.guard.check(current);
      const response = await undiciFetch(current, {
        redirect: "manual",
        signal,
        dispatcher: options.guard.agent(),
        headers: {
          "user-agent": "drkit/0.1 (+https://github.com/drkit)",
          accept: "text/html,*/*;q=0.8",
          ...options.headers,
        },
      });
      if (response.status >= 300 && response.status < 400 && response.headers.get("location")) {
        await response.body?.cancel();
        if (hop >= maxRedirects) throw new ToolError(`too many redirects (more than ${maxRedirects}) from ${url}`);
        current = new URL(response.headers.get("location") as string, current);
        redirects.push(current.href);
        continue;
      }
      const contentType = (response.headers.get("content-type") ?? "").toLowerCase();
      const mediaType = contentType.split(";")[0]?.trim() ?? "";
      if (options.acceptContentTypes && !options.acceptContentTypes.some((type) => mediaType.startsWith(type))) {
        await response.body?.cancel();
        throw new ToolError(
          `${current.href} has content type "${mediaType || "unknown"}", which cannot be read as text`,
        );
      }
      const parts: Buffer[] = [];
      let size = 0;
      let truncated = false;
      if (response.body) {
        for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
          const buffer = Buffer.from(part);
          if (size + buffer.length > maxBytes) {
            parts.push(buffer.subarray(0, maxBytes - size));
            size = maxBytes;
            truncated = true;
            break;
          }
          parts.push(buffer);
          size += buffer.length;
        }
        if (truncated) await response.body.cancel().catch(() => undefined);
      }
      return {
        url,
        finalUrl: current.href,
        status: response.status,
        contentType,
        body: Buffer.concat(parts),
        truncated,
        redirects,
      };
    }
  } catch (error) {
    if (options.signal?.aborted) throw new CancelledError();
    if (timeout.aborted) throw new ToolError(`${current.href} did not answer within ${timeoutMs} ms`);
    if (error instanceof ToolError) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === "EBLOCKED") throw new ToolError(`refusing to fetch ${current.href}: ${cause.message}`);
    throw new ToolError(`cannot fetch ${current.href}: ${cause?.message ?? (error as Error).message}`);
  }
}
