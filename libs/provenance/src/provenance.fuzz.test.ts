import { readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeProvenance } from "./analyze.js";
import { c2paEvidence } from "./c2pa-evidence.js";
import { decodeUserComment } from "./internal/exif-facts.js";
import { parseInfotext } from "./internal/infotext.js";
import { readXmp } from "./internal/xmp-facts.js";
import {
  buildJpeg,
  buildPng,
  buildTiff,
  buildWebp,
  exifSegment,
  itxtChunk,
  jpegSegment,
  pngChunk,
  textChunk,
  xmpPacket,
  ztxtChunk,
} from "./internal/test-files.js";
import type { TiffEntry } from "./internal/test-files.js";
import { decodeSdWatermark } from "./sd-watermark.js";
import type { ProvenanceReport } from "./types.js";

// Every property runs each case under a time limit (fast-check fails a case that exceeds it), so a
// hang is a failure; none asserts speed beyond that.
const perCase = { timeout: 20_000 };

/** The report is well formed: what analyzeProvenance promises for any input. */
function expectWellFormed(report: ProvenanceReport): void {
  expect(Array.isArray(report.evidence)).toBe(true);
  expect(Array.isArray(report.problems)).toBe(true);
  expect(report.decisiveAi).toBe(report.evidence.some((item) => item.decisive));
  for (const item of report.evidence) {
    expect(item.weight).toBeGreaterThanOrEqual(-1);
    expect(item.weight).toBeLessThanOrEqual(1);
    expect(typeof item.summary).toBe("string");
  }
  for (const problem of report.problems) expect(problem.length).toBeGreaterThan(0);
}

const prefixes = [
  new Uint8Array(0),
  Uint8Array.from([0xff, 0xd8, 0xff]),
  new TextEncoder().encode("\x89PNG\r\n\x1a\n"),
  new TextEncoder().encode("RIFF\x10\x00\x00\x00WEBP"),
  new TextEncoder().encode("II*\x00"),
  new TextEncoder().encode("MM\x00*"),
  new TextEncoder().encode("\x00\x00\x00\x18ftypheic"),
  new TextEncoder().encode("\x00\x00\x00\x18ftypavif"),
  new TextEncoder().encode("GIF89a"),
];

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe("analyzeProvenance on hostile bytes", () => {
  it("random bytes behind every container signature: a report, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 4096 }),
        async (prefix, tail) => {
          expectWellFormed(await analyzeProvenance(concat(prefix, tail)));
        },
      ),
      { numRuns: 300, ...perCase },
    );
  });

  it("PNG chunks with lying lengths", async () => {
    const types = ["tEXt", "zTXt", "iTXt", "eXIf", "caBX", "IDAT", "IEND", "abcd"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...types),
        fc.uint8Array({ maxLength: 512 }),
        fc.nat(),
        async (type, data, declared) => {
          const png = buildPng([pngChunk(type, data, declared)]);
          const report = await analyzeProvenance(png);
          expectWellFormed(report);
          if (declared > data.length + 100 && type !== "IEND")
            expect(report.problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200, ...perCase },
    );
  });

  it("random PNG text chunks (keys, values, compression) never throw", async () => {
    const keys = [
      "parameters",
      "prompt",
      "workflow",
      "invokeai_metadata",
      "sd-metadata",
      "Dream",
      "Software",
      "Comment",
      "XML:com.adobe.xmp",
      "Description",
    ];
    const chunk = fc.oneof(
      fc
        .tuple(fc.constantFrom(...keys), fc.string({ maxLength: 2000 }))
        .map(([key, value]) => textChunk(key, value)),
      fc
        .tuple(fc.constantFrom(...keys), fc.string({ maxLength: 2000 }))
        .map(([key, value]) => ztxtChunk(key, value)),
      fc
        .tuple(fc.constantFrom(...keys), fc.string({ maxLength: 2000 }), fc.boolean())
        .map(([key, value, compress]) => itxtChunk(key, value, { compress })),
      fc
        .tuple(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 200 }))
        .map(([key, garbage]) => ztxtChunk(key, "", garbage)),
      fc.uint8Array({ maxLength: 200 }).map((garbage) => pngChunk("iTXt", garbage)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 6 }), async (chunks) => {
        expectWellFormed(await analyzeProvenance(buildPng(chunks)));
      }),
      { numRuns: 200, ...perCase },
    );
  });

  it("zTXt and iTXt zlib bombs stop at the cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1024, max: 256 * 1024 }),
        fc.boolean(),
        async (megabytes, cap, asItxt) => {
          const bomb = deflateSync(Buffer.alloc(megabytes * 1024 * 1024, 0x41));
          const chunk = asItxt
            ? itxtChunk("parameters", "", { compressed: bomb })
            : ztxtChunk("parameters", "", bomb);
          const report = await analyzeProvenance(buildPng([chunk]), { maxMetadataBytes: cap });
          expect(report.problems.join(" ")).toMatch(/decompression bomb/);
        },
      ),
      { numRuns: 12, ...perCase },
    );
  });

  it("JPEG segments with random markers and lengths", async () => {
    const segment = fc
      .tuple(
        fc.integer({ min: 0xc0, max: 0xfe }),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.nat({ max: 0xffff })),
      )
      .map(([marker, payload, declared]) => jpegSegment(marker, payload, declared ?? payload.length + 2));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 8 }), async (segments) => {
        expectWellFormed(await analyzeProvenance(buildJpeg(segments)));
      }),
      { numRuns: 200, ...perCase },
    );
  });

  it("JUMBF in APP11: random, deeply nested and self-referencing boxes reach the C2PA reader safely", async () => {
    const box = (type: string, body: Uint8Array, declared?: number): Uint8Array => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(declared ?? body.length + 8, 0);
      header.write(type, 4, "latin1");
      return concat(header, body);
    };
    const label = concat(new Uint8Array(16), Uint8Array.from([3]), new TextEncoder().encode("c2pa\0"));
    const jumbf = fc.oneof(
      // Nested superboxes, each claiming its true length.
      fc.integer({ min: 1, max: 2000 }).map((depth) => {
        let inner = box("jumd", label);
        for (let i = 0; i < depth; i++) inner = box("jumb", concat(box("jumd", label), inner));
        return inner;
      }),
      // A box that claims to hold itself, zero or absurd lengths.
      fc
        .tuple(fc.constantFrom(0, 1, 8, 0xffffffff), fc.uint8Array({ maxLength: 400 }))
        .map(([declared, body]) => box("jumb", concat(box("jumd", label), body), declared)),
      // Random bytes after a c2pa label.
      fc.uint8Array({ maxLength: 2000 }).map((body) => box("jumb", concat(box("jumd", label), body))),
    );
    await fc.assert(
      fc.asyncProperty(jumbf, fc.integer({ min: 1, max: 3 }), async (store, pieces) => {
        // Split across APP11 segments as JPEG does: "JP", instance, sequence, then box bytes.
        const segments: Uint8Array[] = [];
        const size = Math.ceil(store.length / pieces) || 1;
        for (let i = 0, sequence = 1; i < store.length; i += size, sequence++) {
          const header = Buffer.alloc(8);
          header.write("JP", 0, "latin1");
          header.writeUInt16BE(1, 2);
          header.writeUInt32BE(sequence, 4);
          segments.push(jpegSegment(0xeb, concat(header, store.subarray(i, i + size))));
        }
        const report = await analyzeProvenance(buildJpeg(segments), { c2paTimeoutMs: 15_000 });
        expectWellFormed(report);
        expect(report.evidence.filter((item) => item.kind === "c2pa")).toEqual([]);
        // The store reached the SDK, which said what was wrong with it.
        expect(report.problems.join(" ")).toMatch(/C2PA/);
      }),
      { numRuns: 40, ...perCase },
    );
  });

  it("TIFF directories with random entries, offsets and loops", async () => {
    const entry: fc.Arbitrary<TiffEntry> = fc.record({
      tag: fc
        .constantFrom(
          0x010f,
          0x0110,
          0x0131,
          0x010e,
          0x829a,
          0x829d,
          0x8827,
          0x9286,
          0x8769,
          0xa434,
          0x9003,
          fc.nat({ max: 0xffff }),
        )
        .chain((tag) => (typeof tag === "number" ? fc.constant(tag) : tag)),
      type: fc.integer({ min: 0, max: 14 }),
      count: fc.oneof(fc.nat({ max: 64 }), fc.constant(0xffffffff), fc.nat()),
      value: fc.uint8Array({ maxLength: 32 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 12 }),
        fc.array(entry, { maxLength: 12 }),
        fc.boolean(),
        fc.constantFrom("jpeg", "webp", "png", "tiff"),
        async (ifd0, exif, loop, container) => {
          const tiff = buildTiff(ifd0, exif, { loop });
          const file =
            container === "jpeg"
              ? buildJpeg([exifSegment(tiff)])
              : container === "webp"
                ? buildWebp([["EXIF", tiff]])
                : container === "png"
                  ? buildPng([pngChunk("eXIf", tiff)])
                  : tiff;
          expectWellFormed(await analyzeProvenance(file));
        },
      ),
      { numRuns: 200, ...perCase },
    );
  });

  it("giant XMP and giant text stay within the per-case limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom("xmp", "text", "deep"),
        async (megabytes, kind) => {
          const filler = "a".repeat(megabytes * 1024 * 1024);
          const chunk =
            kind === "xmp"
              ? itxtChunk("XML:com.adobe.xmp", xmpPacket('xmp:CreatorTool="x"', `<rdf:li>${filler}</rdf:li>`))
              : kind === "text"
                ? textChunk("parameters", `Steps: 1, ${filler}`)
                : itxtChunk("XML:com.adobe.xmp", xmpPacket("", "<a>".repeat(megabytes * 50_000)));
          expectWellFormed(await analyzeProvenance(buildPng([chunk])));
        },
      ),
      { numRuns: 10, ...perCase },
    );
  });

  it("blocks over maxMetadataBytes are skipped with a problem", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100, max: 5000 }), async (cap) => {
        const report = await analyzeProvenance(buildPng([textChunk("parameters", "x".repeat(cap + 1))]), {
          maxMetadataBytes: cap,
        });
        expect(report.problems.join(" ")).toMatch(/over the \d+-byte limit/);
      }),
      { numRuns: 30, ...perCase },
    );
  });
});

describe.skipIf(!sharedAvailable("fixtures/c2pa") || !sharedAvailable("datasets/aigi-v1"))(
  "truncations of real files",
  () => {
    const files = [
      sharedPath("fixtures/c2pa/C.jpg"),
      sharedPath("fixtures/c2pa/ocsp.jpg"),
      sharedPath("fixtures/c2pa/sample1.png"),
      sharedPath("fixtures/c2pa/sample1.heic"),
      sharedPath("fixtures/c2pa/test_xmp.webp"),
      sharedPath("datasets/aigi-v1/ai/comfyui-examples/sdxl__sdxl_simple_example.png"),
      sharedPath("datasets/aigi-v1/ai/sd-prompt-templates/images__animal.png"),
      sharedPath("datasets/aigi-v1/real/metadata-extractor-images/jpg__FujiFilm_MX-2900Zoom.jpg"),
    ].map((path) => new Uint8Array(readFileSync(path)));

    it("every prefix of a real file gives a report", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...files.keys()),
          fc.double({ min: 0, max: 1, noNaN: true }),
          async (index, fraction) => {
            const file = files[index]!;
            expectWellFormed(await analyzeProvenance(file.subarray(0, Math.floor(file.length * fraction))));
          },
        ),
        { numRuns: 80, ...perCase },
      );
    });

    it("random byte flips in a real file give a report", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...files.keys()),
          fc.array(
            fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat({ max: 255 })),
            { minLength: 1, maxLength: 20 },
          ),
          async (index, flips) => {
            const file = files[index]!.slice();
            // Flip bytes in the first 64 KiB, where the metadata lives.
            const span = Math.min(file.length, 65536);
            for (const [where, value] of flips) file[Math.floor(where * span)] = value;
            expectWellFormed(await analyzeProvenance(file));
          },
        ),
        { numRuns: 60, ...perCase },
      );
    });
  },
);

describe("the parsers one by one", () => {
  it("parseInfotext: any text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 5000 }),
          fc.string({ maxLength: 200 }).map((text) => `prompt\nSteps: 20, ${text}`),
        ),
        (text) => {
          const info = parseInfotext(text);
          if (info !== undefined) expect(typeof info.tool).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("decodeUserComment: any bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("UNICODE\0", "ASCII\0\0\0", "JIS\0\0\0\0\0", "\0\0\0\0\0\0\0\0", ""),
        fc.uint8Array({ maxLength: 500 }),
        (code, body) => {
          expect(typeof decodeUserComment(concat(new TextEncoder().encode(code), body))).toBe("string");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("readXmp: any packet", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 3000 }),
          fc.string({ maxLength: 300 }).map((inner) => xmpPacket(inner, inner)),
        ),
        async (text) => {
          const problems: string[] = [];
          const facts = await readXmp([new TextEncoder().encode(text)], problems);
          expect(typeof facts).toBe("object");
        },
      ),
      { numRuns: 300, ...perCase },
    );
  });

  it("c2paEvidence: any JSON the reader might return", () => {
    const manifest = fc.record({
      assertions: fc.array(
        fc.record({
          label: fc.constantFrom("c2pa.actions", "c2pa.actions.v2", "actions", "other"),
          data: fc.anything(),
        }),
      ),
      signature_info: fc.anything(),
      claim_generator_info: fc.anything(),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            active_manifest: fc.constant("m"),
            manifests: fc.dictionary(fc.constantFrom("m", "n"), manifest),
            validation_state: fc.anything(),
          }),
        ),
        (store) => {
          const json = JSON.stringify(store) ?? "null";
          const outcome = c2paEvidence(json);
          expect("problem" in outcome || outcome.kind === "c2pa").toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("decodeSdWatermark: any pixels of any size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer(),
        (width, height, seed) => {
          const data = new Uint8Array(width * height * 3);
          let state = seed | 1;
          for (let i = 0; i < data.length; i++) {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            data[i] = state & 255;
          }
          const finding = decodeSdWatermark({ data, width, height, channels: 3 });
          if (width * height < 65536) expect(finding).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });
});
