/** The one benchmark-question record every loader produces (and synthesis / RL consume). */
import { z } from "zod";

export const QuestionSchema = z.object({
  /** Stable id within the benchmark (the dataset's own id when it has one). */
  id: z.string().min(1),
  question: z.string().min(1),
  /** Accepted answers: the first is the canonical gold, the rest aliases. */
  goldAnswers: z.array(z.string()),
  /** Level / difficulty as the dataset names it ("1"-"3", "easy", "hard", "2hop" …). */
  level: z.string().optional(),
  /** Benchmark name, or the sub-source for mixed sets (e.g. `nq` in the FlashRAG parquet). */
  source: z.string(),
  /** Every other field of the original row worth keeping (types, urls, decompositions …). */
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type Question = z.infer<typeof QuestionSchema>;
export type QuestionInput = z.input<typeof QuestionSchema>;

/** The absolute path of a question's attached file (GAIA `file_name`, resolved by the loader), if it has one. */
export function attachmentOf(question: Question): string | undefined {
  const path = question.metadata.filePath;
  return typeof path === "string" && path !== "" ? path : undefined;
}
