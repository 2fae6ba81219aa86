/**
 * Tag scans on adversarial input: the linear `taggedBlocks` against the lazy regex it replaced (the anchor, same run)
 * on "<answer>" repeated n times (unclosed tags), the input that blocked the reward server.
 * Run: npx tsx bench/tag-scans.ts
 */
import { taggedBlocks } from "../src/core/tagged-blocks.js";

function time(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

process.stdout.write(
  "| unclosed <answer> tags | regex ms (anchor) | linear ms | regex / linear |\n|---|---|---|---|\n",
);
for (const n of [2_500, 5_000, 10_000, 20_000]) {
  const text = "<answer>".repeat(n);
  const regex = time(() => [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/g)]);
  const linear = time(() => taggedBlocks(text, "<answer>", "</answer>"));
  process.stdout.write(
    `| ${n} | ${regex.toFixed(1)} | ${linear.toFixed(2)} | ${(regex / Math.max(linear, 0.01)).toFixed(0)} |\n`,
  );
}
const big = "<answer>".repeat(8_000_000 / 8);
process.stdout.write(
  `linear scan of 1,000,000 unclosed tags (8 MB): ${time(() => taggedBlocks(big, "<answer>", "</answer>")).toFixed(1)} ms\n`,
);
