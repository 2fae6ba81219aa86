/**
 * robots.txt (RFC 9309): the group for our user agent (else `*`), `Allow` / `Disallow` with `*` and `$`,
 * longest match wins, `Allow` wins ties. `Crawl-delay` is read as seconds. A missing file (4xx) allows all.
 */
export interface RobotsRules {
  allows(path: string): boolean;
  crawlDelayMs: number | undefined;
}

interface Rule {
  allow: boolean;
  pattern: string;
  regex: RegExp;
}

function toRegex(pattern: string): RegExp {
  const anchored = pattern.endsWith("$");
  const body = (anchored ? pattern.slice(0, -1) : pattern)
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}${anchored ? "$" : ""}`);
}

export function parseRobots(text: string, userAgent: string): RobotsRules {
  const groups: { agents: string[]; rules: Rule[]; delay?: number }[] = [];
  let current: { agents: string[]; rules: Rule[]; delay?: number } | undefined;
  let lastWasAgent = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    const match = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = (match[1] as string).toLowerCase();
    const value = (match[2] as string).trim();
    if (key === "user-agent") {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (!current) continue;
    if (key === "allow" || key === "disallow") {
      if (value === "") continue;
      current.rules.push({ allow: key === "allow", pattern: value, regex: toRegex(value) });
    } else if (key === "crawl-delay") {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= 0) current.delay = seconds;
    }
  }
  const agent = userAgent.toLowerCase();
  const specific = groups.filter((group) => group.agents.some((name) => name !== "*" && agent.includes(name)));
  const chosen = specific.length > 0 ? specific : groups.filter((group) => group.agents.includes("*"));
  const rules = chosen.flatMap((group) => group.rules);
  const delay = chosen.find((group) => group.delay !== undefined)?.delay;
  return {
    crawlDelayMs: delay === undefined ? undefined : delay * 1000,
    allows(path: string) {
      let best: Rule | undefined;
      for (const rule of rules) {
        if (!rule.regex.test(path)) continue;
        if (
          !best ||
          rule.pattern.length > best.pattern.length ||
          (rule.pattern.length === best.pattern.length && rule.allow)
        )
          best = rule;
      }
      return best ? best.allow : true;
    },
  };
}

export const ALLOW_ALL: RobotsRules = { allows: () => true, crawlDelayMs: undefined };
export const DISALLOW_ALL: RobotsRules = { allows: () => false, crawlDelayMs: undefined };
