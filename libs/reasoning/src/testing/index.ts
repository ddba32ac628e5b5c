/**
 * Test support of @mirage/reasoning (`@mirage/reasoning/testing`, for tests only: tsconfig leaves
 * src/testing out of the build, so this resolves through the `@mirage/source` condition that
 * vitest uses). The tiny test model, generated test images, and a local OpenAI-compatible VLM server.
 *
 * ```ts
 * import { startVlmTestServer, taggedAnswer, tinyModelDir } from "@mirage/reasoning/testing";
 * const vlm = await startVlmTestServer("test-vlm");
 * vlm.reply({ kind: "stream", text: taggedAnswer(), delayMs: 20 });
 * // … REASONING_BACKEND=vlm VLM_URL=${vlm.url} VLM_MODEL=test-vlm …
 * await vlm.close();
 * ```
 */
export { blue, png, red, textured, tinyModelDir, warm } from "./images.js";
export type { Rgb } from "./images.js";
export { startVlmTestServer, taggedAnswer } from "./vlm-server.js";
export type { ReceivedRequest, VlmReply, VlmTestServer } from "./vlm-server.js";
