/**
 * Stage 5: output. Our schema (`SynthRecord`, JSONL and parquet) and the DeepResearch-9K schema
 * (`question`, `difficulty`, `search trajectory`, `final answer`; field names with spaces) in JSONL and parquet.
 * The search trajectory is Tongyi-native text: assistant `<think>` + `<tool_call>` turns, each followed by a user
 * `<tool_response>` turn holding the real search results (the published set lacks them), ending in `<answer>`.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { SearchStep, SynthRecord } from "./types.js";

export interface Dr9kRecord {
  question: string;
  difficulty: 1 | 2 | 3;
  "search trajectory": { role: "user" | "assistant"; content: string }[];
  "final answer": string;
}

function renderHits(step: SearchStep, snippetChars: number): string {
  if (step.hits.length === 0) return `No results were found for '${step.query}'. Try a more general query.`;
  const lines = step.hits.map((hit, index) => {
    const text = hit.text.length > snippetChars ? `${hit.text.slice(0, snippetChars)}…` : hit.text;
    return `${index + 1}. [${hit.title}](corpus://${hit.id})\n${text}`;
  });
  return `A search for '${step.query}' found ${step.hits.length} results:\n\n## Web Results\n${lines.join("\n\n")}`;
}

/** A Tongyi-format trajectory from the solver's search steps (only steps that found something new are kept). */
export function trajectoryMessages(record: SynthRecord, snippetChars = 400): Dr9kRecord["search trajectory"] {
  if (record.trajectory.messages && record.trajectory.messages.length > 0)
    return record.trajectory.messages
      .filter((message) => message.role === "user" || message.role === "assistant")
      .map((message) => ({ role: message.role as "user" | "assistant", content: message.content }));
  const messages: Dr9kRecord["search trajectory"] = [{ role: "user", content: record.question }];
  for (const step of record.trajectory.steps) {
    const call = JSON.stringify({ name: "search", arguments: { query: [step.query] } });
    const thought =
      step.target === null
        ? "I will search for this."
        : `I need the passage that covers ${step.query.length > 80 ? "this part of the question" : `"${step.query}"`}.`;
    messages.push({ role: "assistant", content: `<think>${thought}</think>\n<tool_call>\n${call}\n</tool_call>` });
    messages.push({ role: "user", content: `<tool_response>\n${renderHits(step, snippetChars)}\n</tool_response>` });
  }
  messages.push({
    role: "assistant",
    content: `<think>The evidence gathered answers the question.</think>\n<answer>${record.answer}</answer>`,
  });
  return messages;
}

export function toDr9k(record: SynthRecord): Dr9kRecord {
  return {
    question: record.question,
    difficulty: record.level,
    "search trajectory": trajectoryMessages(record),
    "final answer": `<answer>${record.answer}</answer>`,
  };
}

function writeAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

export function writeJsonl(path: string, records: readonly unknown[]): void {
  writeAtomically(path, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
}

export function writeDr9kParquet(path: string, records: readonly Dr9kRecord[]): void {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: "question", data: records.map((record) => record.question), type: "STRING" },
      { name: "difficulty", data: records.map((record) => record.difficulty), type: "INT32" },
      {
        name: "search trajectory",
        data: records.map((record) => JSON.stringify(record["search trajectory"])),
        type: "JSON",
      },
      { name: "final answer", data: records.map((record) => record["final answer"]), type: "STRING" },
    ],
  });
  writeAtomically(path, new Uint8Array(buffer));
}

export function writeRecordsParquet(path: string, records: readonly SynthRecord[]): void {
  const column = (name: string, pick: (record: SynthRecord) => string) => ({
    name,
    data: records.map(pick),
    type: "STRING" as const,
  });
  const json = (name: string, pick: (record: SynthRecord) => unknown) => ({
    name,
    data: records.map((record) => JSON.stringify(pick(record))),
    type: "JSON" as const,
  });
  const buffer = parquetWriteBuffer({
    columnData: [
      column("id", (record) => record.id),
      column("question", (record) => record.question),
      column("answer", (record) => record.answer),
      json("aliases", (record) => record.aliases),
      { name: "level", data: records.map((record) => record.level), type: "INT32" },
      column("source_id", (record) => record.source_id),
      json("source", (record) => record.source),
      json("chain", (record) => record.chain),
      json("evidence_ids", (record) => record.evidence_ids),
      column("obfuscator", (record) => record.obfuscator),
      json("replacements", (record) => record.replacements),
      json("checks", (record) => record.checks),
      json("calibration", (record) => record.calibration),
    ],
  });
  writeAtomically(path, new Uint8Array(buffer));
}
