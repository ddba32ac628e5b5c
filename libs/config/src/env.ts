import { MirageError } from "@mirage/errors";
import { z } from "zod";

/**
 * Reads configuration from environment variables once, at start-up, through a zod schema whose
 * keys are the variable names. An error names each variable that is wrong and what it expected.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new MirageError("FAILED_PRECONDITION", `invalid configuration: ${problems.join("; ")}`, {
    reason: "invalid-config",
    cause: result.error,
  });
}

/** A comma-separated list variable ("a, b,c" → ["a","b","c"]), empty items dropped. */
export function envList(defaultValue: string[] = []) {
  return z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? defaultValue
        : v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
    );
}

/** An integer variable within bounds. */
export function envInt(defaultValue: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

/** A number variable within bounds. */
export function envNumber(defaultValue: number, min = -Infinity, max = Infinity) {
  return z.coerce.number().min(min).max(max).default(defaultValue);
}

/** A boolean variable: true/false/1/0/yes/no. */
export function envBool(defaultValue: boolean) {
  return z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .optional()
    .transform((v) => (v === undefined ? defaultValue : ["true", "1", "yes"].includes(v)));
}
