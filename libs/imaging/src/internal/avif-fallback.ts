import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** RGBA pixels, 8 bits per channel, from the fallback AVIF decoder. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Why the fallback decoder gave no image. */
export class AvifFallbackError extends Error {
  override readonly name = "AvifFallbackError";
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

// The worker runs plain JavaScript given as a string, so that it works the same from the
// TypeScript sources (tests) and from dist: there is no .ts worker file for Node to load.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const codec = await import(workerData.decoderUrl);
  await codec.init(workerData.wasm);
  const input = workerData.bytes;
  const image = await codec.default(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength));
  const data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  parentPort.postMessage({ width: image.width, height: image.height, data }, [data.buffer]);
})().catch((error) => parentPort.postMessage({ error: String((error && error.message) || error) }));
`;

/** The one piece of the WebAssembly JS API used here: the project's TypeScript libs carry no DOM types. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let codec: { decoderUrl: string; wasm: object } | undefined;

function loadCodec(): { decoderUrl: string; wasm: object } {
  if (codec === undefined) {
    const require = createRequire(import.meta.url);
    const decoderUrl = pathToFileURL(require.resolve("@jsquash/avif/decode.js")).href;
    // Compiled once per process and shared with every worker (a WebAssembly.Module is cloneable).
    const wasm = new wasmApi.Module(readFileSync(require.resolve("@jsquash/avif/codec/dec/avif_dec.wasm")));
    codec = { decoderUrl, wasm };
  }
  return codec;
}

/**
 * Decodes an AVIF with libavif compiled to WebAssembly (@jsquash/avif), for the files the libaom
 * inside sharp's prebuilt libvips refuses: it is built for 8-bit only, so 10- and 12-bit AVIF
 * ("Bitstream not supported by this decoder") would otherwise be undecodable. The decode runs in
 * a worker thread that is terminated when `timeoutMs` runs out, since a synchronous WebAssembly
 * call cannot be interrupted on the main thread. Output is 8-bit RGBA; colour is not managed
 * (BT.709/sRGB primaries assumed) and irot/imir transforms are not applied.
 */
export function decodeAvifFallback(bytes: Uint8Array, timeoutMs: number): Promise<RgbaImage> {
  const { decoderUrl, wasm } = loadCodec();
  return new Promise<RgbaImage>((resolve, reject) => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { decoderUrl, wasm, bytes: new Uint8Array(bytes) },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new AvifFallbackError(`AVIF decode ran past ${timeoutMs} ms`, true));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once("message", (message: { error: string } | RgbaImage) => {
      finish();
      if ("error" in message) reject(new AvifFallbackError(`libavif: ${message.error}`, false));
      else resolve(message);
    });
    worker.once("error", (error) => {
      finish();
      reject(new AvifFallbackError(`libavif worker failed: ${error.message}`, false));
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      // An exit before any message (out of memory, abort) still rejects; after one it is a no-op.
      reject(new AvifFallbackError(`libavif worker exited with code ${code} before answering`, false));
    });
  });
}

/**
 * Whether the AVIF's meta box carries an `irot` or `imir` item property (a rotation or mirror the
 * viewer must apply). The fallback decoder ignores them, so such files are refused instead of
 * being decoded in the wrong orientation. Walks the top-level boxes only: cheap and bounded.
 */
export function avifHasTransform(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let headerSize = 8;
    if (size === 1) {
      if (offset + 16 > bytes.length) return false;
      size = Number(view.getBigUint64(offset + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < headerSize) return false;
    if (type === "meta") {
      const body = bytes.subarray(offset + headerSize, Math.min(bytes.length, offset + size));
      return containsAscii(body, "irot") || containsAscii(body, "imir");
    }
    offset += size;
  }
  return false;
}

function containsAscii(haystack: Uint8Array, needle: string): boolean {
  const codes = [...needle].map((c) => c.charCodeAt(0));
  outer: for (let i = 0; i + codes.length <= haystack.length; i++) {
    for (let j = 0; j < codes.length; j++) if (haystack[i + j] !== codes[j]) continue outer;
    return true;
  }
  return false;
}
