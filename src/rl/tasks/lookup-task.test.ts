import { describe, expect, it } from "vitest";
import { answerVocabulary, loadLookupTask } from "./lookup-task.js";
import { lookupDemonstrations } from "./lookup-training-task.js";

const corpusPath = "data/hotpotqa/corpus.jsonl";

describe("lookup task", () => {
  it("ranks the answer vocabulary by passage count and leaves out words EM normalisation erases", () => {
    const passages = [
      { words: ["the", "river", "flows", "a"] },
      { words: ["the", "river", "an", "bank"] },
      { words: ["river", "bank", "city"] },
    ];
    expect([...answerVocabulary(passages, 3)]).toEqual(["river", "bank", "city"]);
    expect(answerVocabulary(passages, 10).has("the")).toBe(false);
  });

  it("draws every answer from the closed vocabulary and from the passage the question names", () => {
    const task = loadLookupTask({ corpusPath, entities: 16, maxTitleWords: 1, seed: 7, answerVocabulary: 24 });
    const byId = new Map(task.entities.map((entity) => [entity.id, entity]));
    const answers = new Set(task.train.map((question) => question.answer));
    expect(answers.size).toBeGreaterThan(8);
    expect(answers.size).toBeLessThanOrEqual(24);
    for (const question of [...task.train, ...task.heldOut]) {
      const entity = byId.get(question.entityId);
      expect(entity?.pool).toContain(question.answer);
      expect(["a", "an", "the"]).not.toContain(question.answer);
      expect(question.answer).toBe(question.fields[0]);
      // The observation for the question's own search shows its own field values.
      expect(task.observation(question.query, question.id)).toContain(`first : ${question.answer} |`);
    }
  });

  it("asks about several fields when askedFields > 1, and the any-field teacher answers with a field of the result", () => {
    const task = loadLookupTask({ corpusPath, entities: 16, maxTitleWords: 1, seed: 7, askedFields: 4 });
    expect(new Set(task.train.map((question) => question.field)).size).toBe(4);
    const exact = lookupDemonstrations(task);
    const anyField = lookupDemonstrations(task, { teacher: "any-field", seed: 3 });
    let agreeing = 0;
    anyField.forEach((demonstration, index) => {
      const question = task.train[index];
      const answer = (demonstration.turns[1] ?? "").replace(/<\/?answer>/g, "").trim();
      expect(question?.fields).toContain(answer);
      expect(exact[index]?.turns[1]).toBe(`<answer> ${question?.answer} </answer>`);
      if (answer === question?.answer) agreeing += 1;
    });
    // A random field of four is the asked one about a quarter of the time.
    expect(agreeing / anyField.length).toBeGreaterThan(0.15);
    expect(agreeing / anyField.length).toBeLessThan(0.35);
  });
});
