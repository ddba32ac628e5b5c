import { describe, expect, it } from "vitest";
import { createAnswerParser, type ProseSection } from "./answer.js";

const limits = { maxAnswerChars: 16_000, maxSectionChars: 6000 };
const conclusion = {
  label: "ai",
  confidence: 0.7,
  explanation: "Waxy skin.",
  decisive_evidence: ["waxy skin"],
};
const good = (c: unknown = conclusion) =>
  `<heuristic>First look.</heuristic>\n<analytic>Close look.</analytic>\n<reflection>Second thoughts.</reflection>\n<conclusion>${typeof c === "string" ? c : JSON.stringify(c)}</conclusion>\n`;

function parse(text: string, size = text.length, bounds = limits) {
  const sections: Array<[ProseSection, string]> = [];
  const parser = createAnswerParser(bounds, (s, t) => sections.push([s, t]));
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
  return { sections, parser };
}

function failure(text: string, size?: number, bounds?: typeof limits): { reason: string; message: string } {
  try {
    parse(text, size, bounds).parser.end();
  } catch (error) {
    return error as { reason: string; message: string };
  }
  throw new Error("the answer was accepted");
}

describe("createAnswerParser", () => {
  it("hands on each section as its closing tag arrives, then the validated conclusion", () => {
    const text = good();
    const sections: string[] = [];
    const parser = createAnswerParser(limits, (s) => sections.push(s));
    const seenAt: number[] = [];
    for (let i = 0; i < text.length; i++) {
      parser.push(text[i]!);
      if (sections.length > seenAt.length) seenAt.push(i);
    }
    expect(sections).toEqual(["heuristic", "analytic", "reflection"]);
    // Each section is handed on at the last character of its closing tag, not later.
    expect(seenAt.map((i) => text.slice(0, i + 1).endsWith(`</${sections[seenAt.indexOf(i)]}>`))).toEqual([
      true,
      true,
      true,
    ]);
    expect(parser.complete).toBe(true);
    expect(parser.end()).toEqual(conclusion);
  });

  it("gives the same result for every split of the answer", () => {
    for (const size of [1, 2, 7, 64]) {
      const { sections, parser } = parse(good(), size);
      expect(sections).toEqual([
        ["heuristic", "First look."],
        ["analytic", "Close look."],
        ["reflection", "Second thoughts."],
      ]);
      expect(parser.end().label).toBe("ai");
    }
  });

  it.each([
    ["a missing tag", good().replace(/<reflection>.*<\/reflection>\n/, ""), /expected <reflection>/],
    [
      "sections out of order",
      "<heuristic>a</heuristic><reflection>c</reflection><analytic>b</analytic><conclusion>{}</conclusion>",
      /expected <analytic>/,
    ],
    ["a tag twice", good().replace("Close look.", "Close <analytic> look."), /<analytic> inside <analytic>/],
    ["an unclosed section", good().replace("</analytic>", ""), /<reflection> inside <analytic>/],
    ["text between sections", good().replace("</heuristic>\n", "</heuristic>\nSo:\n"), /expected <analytic>/],
    ["text after the conclusion", `${good()}Hope this helps!`, /text after <\/conclusion>/],
    ["a code fence around the answer", "```xml\n" + good() + "```", /does not open with <heuristic>/],
    ["an empty section", good().replace("First look.", "  "), /<heuristic> section is empty/],
    ["a conclusion that is not JSON", good("label: ai"), /not JSON/],
    ["a confidence out of range", good({ ...conclusion, confidence: 1.5 }), /confidence/],
    ["an unknown label", good({ ...conclusion, label: "fake" }), /label/],
    ["an extra key", good({ ...conclusion, note: "x" }), /note|unrecognized/i],
    ["a missing key", good({ label: "ai", confidence: 0.5, explanation: "x" }), /decisive_evidence/],
    ["an answer cut short", good().slice(0, 60), /ended before <\/analytic>/],
    ["an empty answer", "  \n", /empty/],
  ])("rejects %s as vlm-malformed-answer", (_name, text, message) => {
    for (const size of [text.length || 1, 3]) {
      const error = failure(text, size);
      expect(error.reason).toBe("vlm-malformed-answer");
      expect(error.message).toMatch(message);
    }
  });

  it("reads an untagged apology as a refusal, untagged prose as malformed", () => {
    expect(failure("I'm sorry, but I can't help with identifying this image.").reason).toBe("vlm-refused");
    expect(failure("I cannot determine whether this image is real.", 4).reason).toBe("vlm-refused");
    expect(failure("The image shows a cat on a sofa, photographed indoors.").reason).toBe(
      "vlm-malformed-answer",
    );
  });

  it("fails as soon as a fault is visible, without waiting for the end", () => {
    const { parser } = parse("<heuristic>a</heuristic>\n<ana");
    expect(() => parser.push("x")).toThrow(expect.objectContaining({ reason: "vlm-malformed-answer" }));
  });

  it("bounds the answer and each section: vlm-answer-too-long", () => {
    const long = good().replace("Close look.", "x".repeat(7000));
    expect(failure(long).reason).toBe("vlm-answer-too-long");
    expect(failure(good(), 5, { maxAnswerChars: 100, maxSectionChars: 6000 }).reason).toBe(
      "vlm-answer-too-long",
    );
    // An endless section is stopped while it streams, not at the end.
    const { parser } = parse("<heuristic>");
    expect(() => {
      for (let i = 0; i < 1000; i++) parser.push("word ".repeat(10));
    }).toThrow(expect.objectContaining({ reason: "vlm-answer-too-long" }));
  });
});
