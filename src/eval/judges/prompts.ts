/**
 * Judge prompts, written for drkit. They follow the input/output contracts of the reference judges
 * (GAIA / WebWalkerQA equivalence, BrowseComp grader, SimpleQA three-way grader, xbench grader, HLE,
 * DeepResearch-R1 strict factual auditor) without copying their text.
 */
import type { ChatMessage } from "../../core/trajectory.js";

export interface JudgeItem {
  question: string;
  /** The extracted final answer. */
  prediction: string;
  golds: readonly string[];
  /** The agent's full final response (graders that extract the answer themselves use it). */
  response?: string;
}

export function goldText(golds: readonly string[]): string {
  if (golds.length <= 1) return golds[0] ?? "";
  return `${golds[0]} (also accepted: ${golds.slice(1).join("; ")})`;
}

const user = (content: string): ChatMessage[] => [{ role: "user", content }];

export function equivalencePrompt(item: JudgeItem): ChatMessage[] {
  return user(
    [
      "You check answers to questions. Decide whether the predicted answer means the same thing as the reference answer.",
      "Differences in wording, capitalisation, units written differently or extra harmless detail do not matter;",
      "a different entity, number, date or a missing essential part does.",
      "",
      `Question: ${item.question}`,
      `Reference answer: ${goldText(item.golds)}`,
      `Predicted answer: ${item.prediction}`,
      "",
      "Reply with exactly one word: Correct or Incorrect.",
    ].join("\n"),
  );
}

export function browseCompPrompt(item: JudgeItem): ChatMessage[] {
  return user(
    [
      "You grade a response to a hard research question against its correct answer.",
      "",
      `Question: ${item.question}`,
      "",
      `Response: ${item.response ?? item.prediction}`,
      "",
      `Correct answer: ${goldText(item.golds)}`,
      "",
      "Return a JSON object with these fields:",
      '- "extracted_final_answer": the final answer exactly as the response states it, or "None" if it gives none;',
      '- "reasoning": only whether the extracted answer and the correct answer differ in a meaningful way; do not solve the question again and do not add background;',
      '- "correct": "yes" if the extracted answer matches the correct answer (for numbers, within a small margin), otherwise "no" (any inconsistency, ambiguity or non-equivalence is "no");',
      '- "confidence": the confidence in percent (0-100) the response states, or 100 if it states none;',
      '- "strict": true.',
      "Reply with the JSON object only.",
    ].join("\n"),
  );
}

export function simpleQaPrompt(item: JudgeItem): ChatMessage[] {
  return user(
    [
      "You grade a predicted answer to a short factual question against the gold target. Pick one grade:",
      "A) CORRECT: the prediction contains all the key information of the gold target and nothing that contradicts it. Hedging is fine when the gold answer is fully present; order, capitalisation and grammar do not matter; small misspellings of names are fine; details the question makes obvious may be left out.",
      "B) INCORRECT: the prediction states something that contradicts the gold target, even if hedged.",
      "C) NOT_ATTEMPTED: the key information of the gold target is missing and nothing contradicts it (e.g. 'I don't know').",
      "Numbers must be right to the last significant figure of the gold target.",
      "",
      "Examples: gold 'Paris'; 'It is Paris, I think' → A; 'Probably Lyon or Paris' → B; 'I could not find it' → C.",
      "",
      `Question: ${item.question}`,
      `Gold target: ${goldText(item.golds)}`,
      `Predicted answer: ${item.prediction}`,
      "",
      "Reply with a single letter: A, B or C.",
    ].join("\n"),
  );
}

export function xbenchPrompt(item: JudgeItem): ChatMessage[] {
  return user(
    [
      "你是评分员。请根据标准答案判断回答是否正确。",
      "",
      `问题：${item.question}`,
      `标准答案：${goldText(item.golds)}`,
      `回答：${item.response ?? item.prediction}`,
      "",
      "请只输出一个 JSON 对象，字段如下：",
      '"最终答案"：从回答中提取的最终答案，没有则写"无"；',
      '"解释"：只比较提取的答案与标准答案是否一致的理由；',
      '"结论"：一致（数值允许很小的误差）写"正确"，否则写"错误"。',
    ].join("\n"),
  );
}

/** DeepResearch-R1 auditor contract: reference + prediction only (no question), each cut to 500 characters. */
export function factualAuditorPrompt(item: JudgeItem): ChatMessage[] {
  const reference = (item.golds[0] ?? "").slice(0, 500);
  const prediction = item.prediction.slice(0, 500);
  return [
    {
      role: "system",
      content:
        "You are a strict fact checker. Compare the core facts of a predicted answer with a reference answer. Paraphrase is acceptable; any different or missing core fact is not.",
    },
    {
      role: "user",
      content: `Reference answer: ${reference}\nPredicted answer: ${prediction}\n\nOutput only [[CORRECT]] or [[INCORRECT]].`,
    },
  ];
}
