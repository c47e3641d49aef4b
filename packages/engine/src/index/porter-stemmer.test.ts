import { describe, expect, it } from "vitest";
import { porterStem } from "./porter-stemmer.js";

describe("porterStem", () => {
  it("matches the published examples of each step", () => {
    const cases: Record<string, string> = {
      caresses: "caress",
      ponies: "poni",
      ties: "ti",
      caress: "caress",
      cats: "cat",
      feed: "feed",
      agreed: "agre",
      plastered: "plaster",
      bled: "bled",
      motoring: "motor",
      sing: "sing",
      conflated: "conflat",
      troubled: "troubl",
      sized: "size",
      hopping: "hop",
      tanned: "tan",
      falling: "fall",
      hissing: "hiss",
      fizzed: "fizz",
      failing: "fail",
      filing: "file",
      happy: "happi",
      sky: "sky",
      relational: "relat",
      conditional: "condit",
      rational: "ration",
      valenci: "valenc",
      digitizer: "digit",
      conformabli: "conform",
      radicalli: "radic",
      differentli: "differ",
      vileli: "vile",
      analogousli: "analog",
      vietnamization: "vietnam",
      predication: "predic",
      operator: "oper",
      feudalism: "feudal",
      decisiveness: "decis",
      hopefulness: "hope",
      callousness: "callous",
      formaliti: "formal",
      sensitiviti: "sensit",
      sensibiliti: "sensibl",
      triplicate: "triplic",
      formative: "form",
      formalize: "formal",
      electriciti: "electr",
      electrical: "electr",
      hopeful: "hope",
      goodness: "good",
      revival: "reviv",
      allowance: "allow",
      inference: "infer",
      airliner: "airlin",
      adjustable: "adjust",
      defensible: "defens",
      irritant: "irrit",
      replacement: "replac",
      adjustment: "adjust",
      dependent: "depend",
      adoption: "adopt",
      communism: "commun",
      activate: "activ",
      angulariti: "angular",
      homologous: "homolog",
      effective: "effect",
      bowdlerize: "bowdler",
      probate: "probat",
      rate: "rate",
      cease: "ceas",
      controll: "control",
      roll: "roll",
    };
    for (const [word, stem] of Object.entries(cases)) expect([word, porterStem(word)]).toEqual([word, stem]);
  });

  it("conflates the inflections a memory search meets", () => {
    expect(new Set(["hobby", "hobbies"].map(porterStem)).size).toBe(1);
    expect(new Set(["visit", "visited", "visiting", "visits"].map(porterStem)).size).toBe(1);
    expect(new Set(["run", "running", "runs"].map(porterStem)).size).toBe(1);
  });

  it("leaves words shorter than three letters alone", () => {
    expect(porterStem("is")).toBe("is");
    expect(porterStem("as")).toBe("as");
  });
});
