import { describe, expect, it } from "vitest";
import { clauseDescriptions, kindOf, kindOfTitle } from "./clause-descriptions.js";

describe("kindOf", () => {
  it("takes the head noun of a description", () => {
    expect(kindOf("the 1945 American comedy film starring Shirley Temple")).toBe("comedy film");
    expect(kindOf("the South Korean boy group formed by YG Entertainment")).toBe("boy group");
    expect(kindOf("the capital city of France")).toBe("capital city");
  });

  it("takes a person's noun from the head phrase only, and nothing from `one of the …`", () => {
    expect(kindOf("the Scottish film and television director and screenwriter")).toBe("director");
    expect(kindOf("the third studio album by English singer Ellie Goulding")).toBe("studio album");
    expect(kindOf("the general election held in 2010")).toBe("election");
    expect(kindOf("one of the artists competing in the national final")).toBeNull();
  });

  it("reads a title's disambiguation, not a place", () => {
    expect(kindOfTitle("Kiss and Tell (1945 film)")).toBe("film");
    expect(kindOfTitle("Austin (Texas)")).toBeNull();
  });
});

describe("clauseDescriptions", () => {
  const winner =
    "Winner (Hangul: 위너), a South Korean boy group, was formed by YG Entertainment in 2013. " +
    'The group debuted on 17 August 2014 with the album "2014 S/S". They won the Rookie of the Year award in 2014.';

  it("makes appositions and verb clauses relative ones on the entity's kind, hidden names cut away", () => {
    expect(clauseDescriptions(winner, "Winner", "boy group", ["YG Entertainment"], 22)).toEqual([
      "the South Korean boy group",
      'the boy group that debuted on 17 August 2014 with the album "2014 S/S"',
      "the boy group that won the Rookie of the Year award in 2014",
    ]);
  });

  it("uses who for a person, keeps a passive participle reduced and one predicate only", () => {
    const kaiser =
      "Henry John Kaiser (May 9, 1882 – August 24, 1967) was an American industrialist. " +
      "He founded Kaiser Shipyards, which built Liberty ships. He was known as the father of modern shipbuilding.";
    expect(clauseDescriptions(kaiser, "Henry J. Kaiser", "industrialist", [], 22)).toEqual([
      "the industrialist who founded Kaiser Shipyards",
      "the industrialist known as the father of modern shipbuilding",
    ]);
  });

  it("refuses a date cut before its year and a subject that is someone else", () => {
    const song = "Hello Love was released on August 12, 2014 by RCA. It charted on January 22, 1966.";
    // The comma of a date is no boundary; a date whose year is hidden would be cut to `August 12`: refused.
    expect(clauseDescriptions(song, "Hello Love", "song", ["RCA"], 22)).toEqual([
      "the song released on August 12, 2014",
      "the song that charted on January 22, 1966",
    ]);
    expect(
      clauseDescriptions("Hello Love was released on August 12, 2014.", "Hello Love", "song", ["2014"], 22),
    ).toEqual([]);
    const ryan = "Private James Francis Ryan was rescued in Normandy in 1944.";
    expect(clauseDescriptions(ryan, "Saving Private Ryan", "film", [], 22)).toEqual([]);
  });

  it("makes nothing from a clause without a kind", () => {
    expect(clauseDescriptions("It was shot on Anglesey.", "The Quiet Harbor", null, [], 22)).toEqual([]);
  });
});
