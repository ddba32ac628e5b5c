import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Runs the C2PA SDK (c2pa-rs compiled to WebAssembly, `@contentauth/c2pa-wasm`) in a worker thread:
 * a manifest store is validated off the event loop, a hang is cut by terminating the worker, and a
 * trap inside the WebAssembly (which leaves its heap unusable) costs only that worker. Jobs run one
 * at a time; the worker starts on the first manifest and is kept, unreferenced, for the next.
 */

/** Settings handed to c2pa-rs: no network at run time (no remote manifests, no OCSP). */
const readerSettings = JSON.stringify({ verify: { remote_manifest_fetch: false, ocsp_fetch: false } });

// The worker is a script string so that it runs the same from src (vitest) and dist (node).
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
// Belt and braces: the SDK must never reach the network from here.
globalThis.fetch = () => Promise.reject(new Error("network access is disabled in the C2PA reader"));
const ready = import(workerData.moduleUrl).then((sdk) => {
  sdk.initSync({ module: readFileSync(workerData.wasmPath) });
  return sdk.WasmReader;
});
parentPort.on("message", (job) => {
  ready
    .then((WasmReader) => WasmReader.fromBytes(job.mediaType, job.bytes, workerData.settings))
    .then((reader) => {
      let json;
      try { json = reader.json(); } finally { reader.free(); }
      parentPort.postMessage({ id: job.id, ok: true, json });
    })
    .catch((error) => {
      const message = error instanceof Error ? error.message : String(error);
      parentPort.postMessage({ id: job.id, ok: false, message, fatal: error instanceof WebAssembly.RuntimeError });
    });
});
`;

/** What reading one file gave: the manifest store as c2pa-rs's JSON, or the SDK's error. */
export type C2paReadResult = { ok: true; json: string } | { ok: false; message: string };

interface Reply {
  id: number;
  ok: boolean;
  json?: string;
  message?: string;
  fatal?: boolean;
}

/** Thrown (as a rejection) when the reader is cut off or dies; the caller reports it. */
export class C2paReaderFailure extends Error {
  override readonly name = "C2paReaderFailure";
}

class C2paWorkerClient {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  /** Reads the manifest store of `bytes` (a whole file of `mediaType`), within `timeoutMs`. */
  read(mediaType: string, bytes: Uint8Array, timeoutMs: number): Promise<C2paReadResult> {
    const run = this.queue.then(() => this.runOne(mediaType, bytes, timeoutMs));
    // The queue continues whatever this job's outcome.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const require = createRequire(import.meta.url);
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        moduleUrl: pathToFileURL(require.resolve("@contentauth/c2pa-wasm")).href,
        wasmPath: require.resolve("@contentauth/c2pa-wasm/c2pa.wasm"),
        settings: readerSettings,
      },
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    worker.removeAllListeners();
    // Keep an error listener: a late 'error' from a dying worker must not crash the process.
    worker.on("error", () => undefined);
    void worker.terminate();
  }

  private runOne(mediaType: string, bytes: Uint8Array, timeoutMs: number): Promise<C2paReadResult> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<C2paReadResult>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        // Unreferenced while idle, so that a waiting worker never keeps a process alive.
        worker.unref();
      };
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        finish();
        if (reply.fatal === true) this.discard(worker);
        if (reply.ok && typeof reply.json === "string") resolve({ ok: true, json: reply.json });
        else resolve({ ok: false, message: reply.message ?? "unknown C2PA error" });
      };
      const onError = (error: Error): void => {
        finish();
        this.discard(worker);
        reject(new C2paReaderFailure(`the C2PA reader crashed (${error.message})`, { cause: error }));
      };
      const onExit = (code: number): void => {
        finish();
        this.discard(worker);
        reject(new C2paReaderFailure(`the C2PA reader exited unexpectedly with code ${code}`));
      };
      const timer = setTimeout(() => {
        finish();
        this.discard(worker);
        reject(
          new C2paReaderFailure(`reading the C2PA manifest took longer than ${timeoutMs} ms: abandoned`),
        );
      }, timeoutMs);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      // Referenced while working, so that `await analyzeProvenance(...)` keeps the process alive.
      worker.ref();
      // Structured clone copies a view's whole ArrayBuffer: send exactly the file.
      const payload =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      worker.postMessage({ id, mediaType, bytes: payload });
    });
  }
}

let client: C2paWorkerClient | undefined;

/** Reads a C2PA manifest store through the shared worker. */
export function readC2paManifestStore(
  mediaType: string,
  bytes: Uint8Array,
  timeoutMs: number,
): Promise<C2paReadResult> {
  client ??= new C2paWorkerClient();
  return client.read(mediaType, bytes, timeoutMs);
}
