import { readFileSync } from "node:fs";
import { describeCandidates, findMention } from "./src/synth/text.js";
import { clauseDescriptions, kindOf } from "./src/synth/clause-descriptions.js";
import { withoutRepetition, replaceMention, normalizeQuestion } from "./src/synth/obfuscate.js";
import { leakedAnswerWords } from "./src/synth/answer-words.js";
const [dir, needle] = [process.argv[2], process.argv[3]];
for (const line of readFileSync(`${dir}/chains.jsonl`, "utf8").trim().split("\n")) {
  const c = JSON.parse(line).chain;
  if (!c || !c.question.includes(needle)) continue;
  const q = normalizeQuestion(c.question);
  console.log("Q:", q, "| A:", c.answer);
  for (const e of c.entities) {
    const p = c.passages[e.passageId];
    const m = findMention(q, e.name);
    const forbidden = [c.answer, ...c.aliases, ...c.entities.map((x: any) => x.name)];
    const cands = describeCandidates(p.text, e.name, forbidden, 22).map((x) => x.text);
    const kind = cands[0] ? kindOf(cands[0]) : null;
    const all = [...cands, ...clauseDescriptions(p.text, e.name, kind, forbidden, 22)];
    console.log(" entity", e.name, e.role, "mention", m, "kind", kind);
    for (const t of all) {
      const w = m ? withoutRepetition(t, q, m) : null;
      console.log("   -", t, "| norep:", w, "| leak:", w ? leakedAnswerWords(w, [c.answer, ...c.aliases], q) : "", "| repl:", m && w ? replaceMention(q, m, w) : "");
    }
  }
}
