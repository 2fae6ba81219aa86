import { readFileSync } from "node:fs";
import { mentionRole } from "./src/synth/mention-role.js";
import { describeCandidates, findMention, displayName } from "./src/synth/text.js";
import { normalizeQuestion } from "./src/synth/obfuscate.js";
const dir = process.argv[2];
const level = Number(process.argv[3] ?? 3);
const chains = new Map(readFileSync(`${dir}/chains.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((c) => [c.sourceId, c]));
const counts: Record<string, number> = {};
for (const line of readFileSync(`${dir}/items.jsonl`, "utf8").trim().split("\n")) {
  const item = JSON.parse(line);
  if (item.level !== level || item.ok || !/no entity could/.test(item.reason)) continue;
  const chain = chains.get(item.sourceId).chain;
  const q = normalizeQuestion(chain.question);
  for (const e of chain.entities) {
    const m = e.mention && q.includes(e.mention) ? e.mention : findMention(q, e.name);
    if (!m) continue;
    const start = q.indexOf(m);
    const role = mentionRole(q, start, start + m.length);
    const p = chain.passages[e.passageId];
    const own = p && displayName(p.title).toLowerCase() === e.name.toLowerCase();
    const cands = own ? describeCandidates(p.text, e.name, [chain.answer, e.name], 22) : [];
    const key = `${role}/${own ? (cands.length ? "cands" : "nocands") : "nopage"}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (process.argv[4] === key) console.log(q, "|", m, "|", p?.text.slice(0, 200));
  }
}
console.log(counts);
