import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { verdictJsonSchema } from "@mirage/contracts";
import { perturbationNames } from "@mirage/imaging";
import { repoRoot, sharedAvailable, sharedPath } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = join(repoRoot, "services/cli/dist/main.js");

/** Runs the built `mirage` (npm test builds first) and returns stdout, stderr and the exit code. */
async function mirage(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe("the installed command", () => {
  it("is linked by npm install as node_modules/.bin/mirage, as the README's `npx mirage` needs", async () => {
    // Runs the link npm made (not dist/main.js): a bin that is missing when npm links is skipped silently.
    const { stdout } = await run(join(repoRoot, "node_modules/.bin/mirage"), ["--help"]);
    expect(stdout).toMatch(/^Usage: mirage /);
    expect(stdout).toContain("scan");
  });
});

describe.skipIf(!sharedAvailable("fixtures/c2pa"))("mirage scan", () => {
  it("prints one contract-shaped verdict per image with --json, and goes on past bad files", async () => {
    const { stdout, code } = await mirage([
      "scan",
      sharedPath("fixtures/c2pa"),
      sharedPath("fixtures/malformed"),
      "--json",
      "--mode",
      "quick",
    ]);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(17);
    const errors = lines.filter((l) => "error" in l);
    expect(errors.map((l) => (l.error as { reason: string }).reason).sort()).toEqual([
      "undecodable-image",
      "unsupported-format",
    ]);
    for (const line of lines.filter((l) => !("error" in l))) {
      const parsed = verdictJsonSchema.safeParse(line);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(line.path).toBeTypeOf("string");
      expect(line.eventId).toBeUndefined();
    }
    const byName = (name: string) => lines.find((l) => String(l.path).endsWith(name))!;
    for (const name of ["ocsp.jpg", "openai-dalle3-c2pa-1.png", "openai-dalle3-c2pa-2.png"]) {
      expect(byName(name)).toMatchObject({ label: "AI_GENERATED", decidedBy: "PROVENANCE" });
      expect((byName(name).evidence as Array<{ kind: string }>).map((e) => e.kind)).toContain("c2pa");
    }
    const camera = (byName("sample1.png").evidence as Array<{ kind: string; summary: string }>).find(
      (e) => e.kind === "camera-exif",
    );
    expect(camera?.summary).toContain("Canon EOS REBEL T3");
    expect(code).toBe(1); // some files failed
  });

  it("prints a table for people, errors included", async () => {
    const { stdout } = await mirage([
      "scan",
      sharedPath("fixtures/c2pa/ocsp.jpg"),
      sharedPath("fixtures/c2pa/sample1.heic"),
      "--mode",
      "quick",
    ]);
    const [header, ...rows] = stdout.trim().split("\n");
    expect(header).toMatch(/^FILE\s+LABEL\s+pAi\s+DECIDED BY\s+EVIDENCE$/);
    expect(rows.find((r) => r.includes("ocsp.jpg"))).toMatch(
      /AI_GENERATED\s+0\.99\s+PROVENANCE\s+C2PA manifest/,
    );
    expect(rows.find((r) => r.includes("sample1.heic"))).toMatch(/ERROR.*unsupported-format: .*HEIC/);
  });

  it("fetches URLs only from public addresses unless --allow-host names the host, redirects checked again", async () => {
    const image = await readFile(sharedPath("fixtures/c2pa/ocsp.jpg"));
    const server = createServer((req, res) => {
      if (req.url === "/ocsp.jpg") return res.end(image);
      // An allowed host may not bounce the fetch on to another internal one (cloud metadata).
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const scan = async (...extra: string[]) => {
        const { stdout } = await mirage([
          "scan",
          `http://${host}/ocsp.jpg`,
          `http://${host}/bounce`,
          "--json",
          "--mode",
          "quick",
          ...extra,
        ]);
        return stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { path: string; label?: string; error?: { reason: string } });
      };
      // --json prints each verdict as it is ready: find them by path.
      const of = (rows: Awaited<ReturnType<typeof scan>>, name: string) =>
        rows.find((r) => r.path === `http://${host}/${name}`)!;
      const refused = await scan();
      expect(of(refused, "ocsp.jpg").error).toMatchObject({ reason: "internal-address" });
      expect(of(refused, "bounce").error).toMatchObject({ reason: "internal-address" });
      const allowed = await scan("--allow-host", host);
      expect(of(allowed, "ocsp.jpg")).toMatchObject({ label: "AI_GENERATED" });
      expect(of(allowed, "bounce").error).toMatchObject({ reason: "internal-address" });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("says clearly when an input does not exist", async () => {
    const { stderr, code } = await mirage(["scan", "/nonexistent/file.jpg"]);
    expect(stderr).toContain("no such file or folder");
    expect(code).toBe(2);
  });
});

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("mirage eval", () => {
  /** A small dataset folder over aigi-v1 images read in place (a link, never a copy): `perClass` AI and real from val. */
  async function smallDataset(perClass = 12): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "mirage-eval-"));
    await symlink(sharedPath("datasets/aigi-v1"), join(dir, "aigi-v1"));
    const [header, ...rows] = (await readFile(sharedPath("datasets/aigi-v1/manifest.csv"), "utf8"))
      .trim()
      .split("\n");
    const val = rows.filter((r) => r.split(",")[4] === "val");
    const pick = [
      ...val.filter((r) => r.split(",")[1] === "ai").slice(0, perClass),
      ...val.filter((r) => r.split(",")[1] === "real").slice(0, perClass),
    ];
    await writeFile(
      join(dir, "manifest.csv"),
      [header, ...pick.map((r) => `aigi-v1/${r}`)].join("\n") + "\n",
    );
    return dir;
  }

  it("writes a report with the protocol's fields and prints markdown tables", async () => {
    const data = await smallDataset();
    const out = join(data, "r.json");
    const { stdout, stderr, code } = await mirage([
      "eval",
      "--data",
      data,
      "--split",
      "val",
      "--protocol",
      "pixels-only",
      "--perturb",
      "jpeg75,resize50+jpeg75",
      "--mode",
      "quick",
      "--out",
      out,
    ]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(await readFile(out, "utf8"));
    expect(report.protocol).toBe("pixels-only");
    expect(report.variants).toEqual(["clean", "jpeg75", "resize50+jpeg75"]);
    expect(report.overall.n + report.overall.errors).toBe(24);
    for (const key of [
      "accuracy",
      "balancedAccuracy",
      "auroc",
      "fprReal",
      "recallAi",
      "escalationRate",
      "meanLatencyMs",
      "p95LatencyMs",
    ]) {
      expect(report.overall[key], key).toBeTypeOf("number");
    }
    expect(Object.keys(report.perPerturbation)).toEqual(["clean", "jpeg75", "resize50+jpeg75"]);
    expect(Object.keys(report.perSource).length).toBeGreaterThan(1);
    expect(Object.keys(report.perGenerator).length).toBeGreaterThan(1);
    // pixels-only strips metadata: provenance must have nothing left to say.
    expect(report.provenance.decidedByProvenance).toBe(0);
    expect(report.run.peakRssMb).toBeGreaterThan(0);
    expect(stdout).toContain("## Per perturbation");
    expect(stdout).toMatch(/\| clean \| \d+ \|/);
    // Each headline row carries its 95 % interval, and the interval holds the row's own number.
    expect(Object.keys(report.intervals.perPerturbation)).toEqual(["clean", "jpeg75", "resize50+jpeg75"]);
    const [low, high] = report.intervals.perPerturbation.clean.auroc;
    expect(low).toBeLessThanOrEqual(report.overall.auroc);
    expect(high).toBeGreaterThanOrEqual(report.overall.auroc);
    expect(high).toBeGreaterThan(low);
    expect(stdout).toContain("## 95 % intervals");
    expect(stdout).toMatch(/\| quick \/ jpeg75 \| \d+ \| [\d.]+ \([\d.]+–[\d.]+\) \|/);
  }, 300_000);

  it("counts provenance as uploaded", async () => {
    const data = await smallDataset();
    const { stderr, code } = await mirage([
      "eval",
      "--data",
      data,
      "--perturb",
      "none",
      "--out",
      join(data, "r.json"),
    ]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(await readFile(join(data, "r.json"), "utf8"));
    expect(report.protocol).toBe("as-uploaded");
    expect(report.variants).toEqual(["clean"]);
    expect(stderr).toMatch(/provenance found: .*; decided by provenance \d+/);
    expect(report.provenance.precision === null || report.provenance.precision >= 0).toBe(true);
  }, 300_000);

  it("reports every perturbation row by default, printed without --out", async () => {
    const data = await smallDataset(2);
    const { stdout, stderr, code } = await mirage(["eval", "--data", data, "--protocol", "pixels-only"]);
    expect(code, stderr).toBe(0);
    const perturbation = stdout.slice(
      stdout.indexOf("## Per perturbation"),
      stdout.indexOf("## 95 % intervals"),
    );
    for (const variant of ["clean", ...perturbationNames]) {
      expect(perturbation, variant).toMatch(new RegExp(`\\| ${variant} \\| 4 \\|`));
    }
    expect(await readdir(data)).toEqual(["aigi-v1", "manifest.csv"]);
  }, 300_000);

  it("refuses a manifest whose labels are not ai or real", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mirage-eval-"));
    await writeFile(join(dir, "manifest.csv"), "path,label,source,generator,split\na.png,maybe,s,g,test\n");
    const bad = await mirage(["eval", "--data", dir, "--out", join(dir, "r.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("label of ai or real");
  });
});
