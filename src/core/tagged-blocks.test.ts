import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstTaggedBlock, splitAroundBlocks, taggedBlocks } from "./tagged-blocks.js";

/** Texts made of tags and short words, so opening and closing tags meet in every order. */
const pieces = fc.constantFrom("<answer>", "</answer>", "<search>", "</search>", "a", " b ", "\n", "<", ">", "answer");
const texts = fc.array(pieces, { maxLength: 30 }).map((parts) => parts.join(""));

describe("linear tag scans equal the lazy regexes they replace", () => {
  it("taggedBlocks = /<answer>([\\s\\S]*?)<\\/answer>/g", () => {
    fc.assert(
      fc.property(texts, (text) => {
        const expected = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/g)].map((match) => match[1]);
        expect(taggedBlocks(text, "<answer>", "</answer>")).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("splitAroundBlocks = text.split(/<answer>[\\s\\S]*?<\\/answer>/)", () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(splitAroundBlocks(text, "<answer>", "</answer>")).toEqual(text.split(/<answer>[\s\S]*?<\/answer>/));
      }),
      { numRuns: 2000 },
    );
  });

  it("firstTaggedBlock = /<(search|answer)>([\\s\\S]*?)<\\/\\1>/.exec", () => {
    fc.assert(
      fc.property(texts, (text) => {
        const match = /<(search|answer)>([\s\S]*?)<\/\1>/.exec(text);
        const expected = match ? { tag: match[1], content: match[2] } : undefined;
        expect(firstTaggedBlock(text, ["search", "answer"])).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("an adversarial text of 80,000 unclosed tags is one pass (the regex took seconds)", () => {
    const text = "<answer>".repeat(80_000);
    expect(taggedBlocks(text, "<answer>", "</answer>")).toEqual([]);
    expect(splitAroundBlocks(text, "<answer>", "</answer>")).toEqual([text]);
    expect(firstTaggedBlock(text, ["search", "answer"])).toBeUndefined();
  });
});
