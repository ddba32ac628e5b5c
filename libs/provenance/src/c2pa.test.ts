import { readFileSync } from "node:fs";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { describe, expect, it } from "vitest";
import { analyzeProvenance } from "./analyze.js";
import type { ProvenanceReport } from "./types.js";

const read = (file: string): Uint8Array => new Uint8Array(readFileSync(sharedPath("fixtures/c2pa", file)));
const c2paOf = (report: ProvenanceReport) => report.evidence.find((item) => item.kind === "c2pa");

describe.skipIf(!sharedAvailable("fixtures/c2pa"))(
  "C2PA fixtures (c2pa-rs test files, test certificates)",
  () => {
    it.each([
      ["C.jpg", "Valid", 0.6],
      ["CA.jpg", "Valid", 0],
      ["CACA.jpg", "Valid", 0],
      ["boxhash.jpg", "Valid", 0],
      ["XCA.jpg", "Invalid", 0],
      ["adobe-20220124-E-clm-CAICAI.jpg", "Invalid", 0],
    ])("%s: signer reported, validation %s, weight %d, never trusted", async (file, state, weight) => {
      const report = await analyzeProvenance(read(file));
      const c2pa = c2paOf(report);
      expect(c2pa).toBeDefined();
      expect(c2pa!.weight).toBe(weight);
      expect(c2pa!.decisive).toBe(false);
      expect(report.decisiveAi).toBe(false);
      expect(c2pa!.details).toMatchObject({
        signer: "C2PA Signer",
        signerOrganization: "C2PA Test Signing Cert",
        validationState: state,
        trustList: "none configured",
      });
      expect(c2pa!.summary).toContain('signed by "C2PA Signer"');
      expect(c2pa!.summary).toContain("certificate not on a trust list");
      expect(c2pa!.summary).not.toMatch(/\btrusted\b/i);
    });

    it("XCA.jpg: reports the broken data hash", async () => {
      const c2pa = c2paOf(await analyzeProvenance(read("XCA.jpg")));
      expect(c2pa!.details.validationFailures).toContain("assertion.dataHash.mismatch");
      expect(c2pa!.summary).toContain("validation failed: assertion.dataHash.mismatch");
    });

    it("ocsp.jpg: trainedAlgorithmicMedia (Firefly ingredient) and a composite claim: decisive AI", async () => {
      const report = await analyzeProvenance(read("ocsp.jpg"));
      const c2pa = c2paOf(report);
      expect(report.decisiveAi).toBe(true);
      expect(c2pa).toMatchObject({ weight: 1, decisive: true });
      expect(c2pa!.details).toMatchObject({
        signer: "Adobe C2PA",
        signerOrganization: "Adobe Inc.",
        digitalSourceType: "compositeWithTrainedAlgorithmicMedia",
        validationState: "Valid",
      });
      expect(c2pa!.summary).toContain("trainedAlgorithmicMedia");
      expect(c2pa!.summary).toContain('"Adobe Firefly"');
    });

    it.each(["openai-dalle3-c2pa-1.png", "openai-dalle3-c2pa-2.png"])(
      "%s: c2pa.created by Azure OpenAI DALL-E without digitalSourceType is decisive",
      async (file) => {
        const report = await analyzeProvenance(read(file));
        const c2pa = c2paOf(report);
        expect(report.decisiveAi).toBe(true);
        expect(c2pa).toMatchObject({ weight: 1, decisive: true });
        expect(c2pa!.details).toMatchObject({
          signer: "Microsoft Corporation",
          claimGenerator: "Microsoft Responsible AI Image Provenance",
          softwareAgent: "Azure OpenAI DALL-E",
          generator: "DALL-E",
          signatureValid: "true",
          validationState: "Valid",
        });
        expect(c2pa!.summary).toBe(
          'C2PA manifest signed by "Microsoft Corporation" (signature valid, certificate not on a trust list) says the image was created by "Azure OpenAI DALL-E", a generative AI tool (DALL-E).',
        );
      },
    );

    it("prerelease.jpg: not evidence, a problem that says why", async () => {
      const report = await analyzeProvenance(read("prerelease.jpg"));
      expect(c2paOf(report)).toBeUndefined();
      expect(report.problems.join(" ")).toMatch(/pre-release/);
    });

    it.each([
      "no_manifest.jpg",
      "sample1.webp",
      "sample1.png",
      "sample1.avif",
      "sample1.heic",
      "test_xmp.webp",
    ])("%s: no C2PA evidence", async (file) => {
      const report = await analyzeProvenance(read(file));
      expect(c2paOf(report)).toBeUndefined();
      expect(report.decisiveAi).toBe(false);
    });

    it("reads several files concurrently through the one reader", async () => {
      const files = ["C.jpg", "ocsp.jpg", "openai-dalle3-c2pa-1.png", "XCA.jpg"];
      const reports = await Promise.all(files.map((file) => analyzeProvenance(read(file))));
      expect(reports.map((report) => c2paOf(report)?.weight)).toEqual([0.6, 1, 1, 0]);
    });

    it("a C2PA read that exceeds its budget is abandoned with a problem", async () => {
      const report = await analyzeProvenance(read("CACA.jpg"), { c2paTimeoutMs: 1 });
      expect(c2paOf(report)).toBeUndefined();
      expect(report.problems.join(" ")).toMatch(/longer than 1 ms/);
      // The reader recovers for the next file.
      expect(c2paOf(await analyzeProvenance(read("C.jpg")))).toBeDefined();
    });
  },
);
