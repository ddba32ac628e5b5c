import { MirageError } from "@mirage/errors";
import { parsePerturbationSpec, perturbationNames } from "@mirage/imaging";

/**
 * The variants of `--perturb`: a comma-separated list of perturbations or chains (`a+b`), where
 * `all` stands for the protocol's rows and may be joined by extras (`all,grayscale`), and `none`
 * alone means the clean row only. Every entry is checked before any image is read (INVALID_ARGUMENT
 * `unknown-perturbation`), so a typo fails at once rather than as one error per image. Order kept,
 * repeats dropped.
 */
export function parsePerturbations(value: string): string[] {
  const entries = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 1 && entries[0] === "none") return [];
  if (entries.includes("none")) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `--perturb ${value}: "none" stands alone (the clean row only)`,
      {
        reason: "unknown-perturbation",
      },
    );
  }
  const expanded = entries.flatMap((entry) => (entry === "all" ? [...perturbationNames] : [entry]));
  for (const entry of expanded) parsePerturbationSpec(entry);
  return [...new Set(expanded)];
}
