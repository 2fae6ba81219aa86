import { describe, expect, it } from "vitest";
import { replaceMention } from "./replace-mention.js";
import {
  containsNormalized,
  describeFromPassage,
  displayName,
  findMention,
  namedSpans,
  periodOfYear,
  personHint,
  splitSentences,
  vaguen,
} from "./text.js";

describe("synth text helpers", () => {
  it("strips disambiguation and decodes HTML entities in titles", () => {
    expect(displayName("Kiss and Tell (1945 film)")).toBe("Kiss and Tell");
    expect(displayName("Tunnels &amp; Trolls")).toBe("Tunnels & Trolls");
    expect(displayName("Woodson, Arkansas")).toBe("Woodson");
  });

  it("finds mentions case- and accent-insensitively on word boundaries", () => {
    expect(findMention("When did Lothair Ii's mother die?", "Lothair II")).toBe("Lothair Ii");
    expect(findMention("Who starred with Tea Leoni?", "Téa Leoni")).toBe("Tea Leoni");
    expect(findMention("The Edwardian era", "Ed Wood")).toBeNull();
    expect(containsNormalized("The Chief of Protocol, later", "chief of protocol")).toBe(true);
    expect(containsNormalized("Manchester", "Chester")).toBe(false);
  });

  it("describes an entity from its defining sentence without its name or forbidden strings", () => {
    const passage =
      "Kiss and Tell is a 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer. In the film, two teenage girls cause their respective parents much concern.";
    expect(describeFromPassage(passage, "Kiss and Tell", ["Chief of Protocol"])?.text).toBe(
      "the 1945 American comedy film starring then 17-year-old Shirley Temple as Corliss Archer",
    );
    // The answer in the description is cut away at a clause boundary.
    const cut = describeFromPassage(passage, "Kiss and Tell", ["Shirley Temple"]);
    expect(cut?.text).toBe("the 1945 American comedy film");
    const person =
      "Edward Davis Wood Jr. (October 10, 1924 – December 10, 1978) was an American filmmaker, actor, writer, producer, and director.";
    expect(describeFromPassage(person, "Ed Wood", [])?.text).toBe(
      "the American filmmaker, actor, writer, producer, and director who lived from 1924 to 1978",
    );
    expect(describeFromPassage("No copula here at all.", "X", [])).toBeNull();
  });

  it("splits sentences without breaking on abbreviations", () => {
    expect(splitSentences("He was born in the U.S. in 1990. He died. Dr. Who is fine.")).toEqual([
      "He was born in the U.S. in 1990.",
      "He died.",
      "Dr. Who is fine.",
    ]);
  });

  it("finds capitalised name spans and quoted titles but not sentence-initial words", () => {
    expect(
      namedSpans(
        "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?",
      ),
    ).toEqual(["Corliss Archer", "Kiss and Tell"]);
    expect(namedSpans('The director of the romantic comedy "Big Stone Gap" is based in what New York city?')).toEqual([
      "Big Stone Gap",
      "New York",
    ]);
    expect(namedSpans('Over how many centuries were the "dwelling place of the dead" built?')).toEqual([]);
  });

  it("makes dates vague and numbers into ranges (SailorFog style)", () => {
    expect(periodOfYear(1966)).toBe("the mid-1960s");
    expect(periodOfYear(1991)).toBe("the early 1990s");
    expect(periodOfYear(851)).toBe("the mid 9th century");
    const { text, edits } = vaguen("born July 16, 1966, it seats 3,677 people since 1945");
    expect(text).toBe("born in the mid-1960s, it seats between 3,000 and 4,000 people since the mid-1940s");
    expect(edits.map((edit) => edit.kind)).toEqual(["date-period", "date-period", "number-range"]);
    // A second pass leaves ranges and periods alone.
    expect(vaguen(text).text).toBe(text);
    expect(vaguen(text).edits).toEqual([]);
  });

  it("gives a person's initials as the only partial-name hint", () => {
    expect(personHint("Corliss Archer")).toBe("someone with the initials C. A.");
    expect(personHint("Laleli")).toBeNull();
  });

  it("replaces a mention, dropping quotes and a generic head noun", () => {
    expect(replaceMention("Who acted in the film Kiss and Tell?", "Kiss and Tell", "the 1945 comedy film")).toBe(
      "Who acted in the 1945 comedy film?",
    );
    expect(
      replaceMention(
        'The director of the romantic comedy "Big Stone Gap" lives where?',
        "Big Stone Gap",
        "the 2014 film",
      ),
    ).toBe("The director of the 2014 film lives where?");
    expect(replaceMention("Kiss and Tell starred whom?", "Kiss and Tell", "the 1945 comedy film")).toBe(
      "The 1945 comedy film starred whom?",
    );
    expect(replaceMention("Who founded the director of Titanic?", "Titanic", "the 1997 film")).toBe(
      "Who founded the director of the 1997 film?",
    );
  });
});
