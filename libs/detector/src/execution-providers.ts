import { MirageError } from "@mirage/errors";
import * as ort from "onnxruntime-node";
import { z } from "zod";

/** The onnxruntime execution providers a pixel model may ask for (Linux builds of onnxruntime-node). */
export const executionProviderNames = ["cpu", "cuda", "tensorrt"] as const;

/** One of {@link executionProviderNames}. */
export type ExecutionProviderName = (typeof executionProviderNames)[number];

/**
 * An ordered list of providers (e.g. MIRAGE_ORT_PROVIDERS=cuda,cpu): not empty, no repeats, and
 * `cpu` only last — the CPU provider runs every operator, so nothing after it would ever be used.
 */
export const executionProvidersSchema = z
  .array(z.enum(executionProviderNames))
  .min(1, "name at least one execution provider")
  .refine((list) => new Set(list).size === list.length, "an execution provider is listed twice")
  .refine(
    (list) => !list.includes("cpu") || list.at(-1) === "cpu",
    "cpu runs every operator, so it can only be the last execution provider (the fallback)",
  );

/** A provider asked for but not used, and why. */
export interface SkippedExecutionProvider {
  name: ExecutionProviderName;
  /** onnxruntime's own message (e.g. "Failed to load shared library"). */
  error: string;
}

/** The session and the providers it was created with. */
export interface ProviderSession {
  session: ort.InferenceSession;
  /** The providers the session runs on, in priority order: the first takes every operator it supports. */
  active: ExecutionProviderName[];
  /** Providers of the list skipped on the way (empty when the first choice loaded). */
  skipped: SkippedExecutionProvider[];
}

/** How {@link createProviderSession} creates a session (onnxruntime's; tests pass a fake). */
export type SessionFactory = (
  path: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

/** Options of {@link createProviderSession}. */
export interface ProviderSessionOptions {
  /** Providers in order of preference (validated by {@link executionProvidersSchema}). */
  providers: readonly ExecutionProviderName[];
  /** GPU ordinal for cuda and tensorrt. Default 0 (under Kubernetes the device plugin makes the pod's GPU 0). */
  gpuDeviceId?: number;
  /** Session options besides the providers. */
  sessionOptions?: ort.InferenceSession.SessionOptions;
  /** Default onnxruntime's `InferenceSession.create`. */
  create?: SessionFactory;
  /** Provider names this onnxruntime-node build knows; default `listSupportedBackends()`. */
  supported?: readonly string[];
}

/**
 * Creates an onnxruntime session on the first usable provider of an ordered list. Each entry is
 * tried with the rest of the list behind it; an entry whose provider cannot be loaded (its
 * libraries missing, no GPU) is skipped and recorded, so `cuda,cpu` runs on CPU when CUDA cannot
 * load — the caller must say so loudly — while `cuda` alone refuses to start:
 * FAILED_PRECONDITION `execution-provider-unavailable`. A model that does not load on CPU either is
 * the model's fault: FAILED_PRECONDITION `model-load-failed`, as before.
 */
export async function createProviderSession(
  path: string,
  options: ProviderSessionOptions,
): Promise<ProviderSession> {
  const providers = executionProvidersSchema.parse(options.providers);
  const create = options.create ?? ((p, o) => ort.InferenceSession.create(p, o));
  const supported = options.supported ?? ort.listSupportedBackends().map((b) => b.name);
  const deviceId = options.gpuDeviceId ?? 0;
  const skipped: SkippedExecutionProvider[] = [];
  let lastError: unknown;
  for (let i = 0; i < providers.length; i++) {
    const attempt = providers.slice(i);
    const first = attempt[0]!;
    if (!supported.includes(first)) {
      skipped.push({
        name: first,
        error: `not in this onnxruntime-node build (it has ${supported.join(", ")})`,
      });
      continue;
    }
    try {
      const session = await create(path, {
        ...options.sessionOptions,
        executionProviders: attempt.map((name) => (name === "cpu" ? name : { name, deviceId })),
      });
      return { session, active: attempt, skipped };
    } catch (cause) {
      // The CPU provider is always there: failing with it first means the model itself is at fault.
      if (first === "cpu") throw modelLoadFailed(path, cause);
      skipped.push({ name: first, error: messageOf(cause) });
      lastError = cause;
    }
  }
  // Every listed provider failed and none of them is cpu: was it the providers, or the model?
  // Loading on CPU once tells them apart, so the operator is sent after the right problem.
  let probe: ort.InferenceSession;
  try {
    probe = await create(path, { ...options.sessionOptions, executionProviders: ["cpu"] });
  } catch (cause) {
    throw modelLoadFailed(path, cause);
  }
  await probe.release();
  throw providerUnavailable(providers, skipped, supported, lastError);
}

function providerUnavailable(
  requested: readonly ExecutionProviderName[],
  skipped: SkippedExecutionProvider[],
  supported: readonly string[],
  cause: unknown,
): MirageError {
  const what = skipped.map((s) => `${s.name} (${s.error})`).join("; ");
  const gpu = requested.some((name) => name !== "cpu");
  const hint = gpu
    ? " CUDA and TensorRT need the GPU image: onnxruntime-node with its CUDA 12 provider libraries" +
      " (install scripts run with ONNXRUNTIME_NODE_INSTALL=cuda12; the npm build here skips them)," +
      " the CUDA 12 and cuDNN 9 runtime libraries, and a visible GPU." +
      " To let the worker run on CPU when the GPU cannot be used, list cpu last (MIRAGE_ORT_PROVIDERS=cuda,cpu)."
    : "";
  return new MirageError(
    "FAILED_PRECONDITION",
    `execution provider ${requested.join(",")} unavailable: ${what}.${hint}`,
    {
      reason: "execution-provider-unavailable",
      ...(cause === undefined ? {} : { cause }),
      details: {
        provider: requested[0]!,
        requested: requested.join(","),
        supported: supported.join(","),
      },
    },
  );
}

function modelLoadFailed(path: string, cause: unknown): MirageError {
  return new MirageError("FAILED_PRECONDITION", `cannot load ONNX model ${path}: ${messageOf(cause)}`, {
    reason: "model-load-failed",
    cause,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
