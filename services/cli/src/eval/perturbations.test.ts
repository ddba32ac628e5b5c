import { perturbationNames } from "@mirage/imaging";
import { describe, expect, it } from "vitest";
import { parsePerturbations } from "./perturbations.js";

describe("parsePerturbations", () => {
  it("expands all to the protocol's rows, also beside extras, and keeps order without repeats", () => {
    expect(parsePerturbations("all")).toEqual([...perturbationNames]);
    expect(parsePerturbations("all,grayscale,whitebg")).toEqual([
      ...perturbationNames,
      "grayscale",
      "whitebg",
    ]);
    expect(parsePerturbations("jpeg75, resize50+jpeg75,jpeg75")).toEqual(["jpeg75", "resize50+jpeg75"]);
    expect(parsePerturbations("whitebg,all")).toEqual(["whitebg", ...perturbationNames]);
  });

  it("reads none alone as the clean row only", () => {
    expect(parsePerturbations("none")).toEqual([]);
  });

  it("refuses an unknown name, or none beside others, before any image is read", () => {
    expect(() => parsePerturbations("all,jpeg7")).toThrow(
      expect.objectContaining({ reason: "unknown-perturbation" }),
    );
    expect(() => parsePerturbations("none,jpeg75")).toThrow(/"none" stands alone/);
  });
});
