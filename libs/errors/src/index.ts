/**
 * Typed errors for every workspace.
 *
 * ```ts
 * import { MirageError } from "@mirage/errors";
 * throw new MirageError("INVALID_ARGUMENT", "image is 90000x90000 pixels, limit 100 MP", { reason: "image-too-large" });
 * ```
 */
export { MirageError, errorCodes, isMirageError } from "./mirage-error.js";
export type { ErrorCode, MirageErrorOptions } from "./mirage-error.js";
