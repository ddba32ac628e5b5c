/**
 * Configuration from environment variables, validated at start-up.
 *
 * ```ts
 * import { z } from "zod";
 * import { readEnv, envInt } from "@mirage/config";
 * const config = readEnv(z.object({ MIRAGE_MAX_IMAGE_BYTES: envInt(50 * 1024 * 1024, 1) }));
 * ```
 */
export { envBool, envInt, envList, envNumber, readEnv } from "./env.js";
