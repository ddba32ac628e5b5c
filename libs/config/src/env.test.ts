import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envBool, envInt, envList, readEnv } from "./index.js";

describe("readEnv", () => {
  const schema = z.object({
    MIRAGE_LIMIT: envInt(10, 1, 100),
    MIRAGE_ROOTS: envList(["/data"]),
    MIRAGE_STRICT: envBool(false),
  });

  it("fills defaults that run on one machine", () => {
    expect(readEnv(schema, {})).toEqual({ MIRAGE_LIMIT: 10, MIRAGE_ROOTS: ["/data"], MIRAGE_STRICT: false });
  });

  it("parses what is set", () => {
    expect(readEnv(schema, { MIRAGE_LIMIT: "42", MIRAGE_ROOTS: "/a, /b,", MIRAGE_STRICT: "yes" })).toEqual({
      MIRAGE_LIMIT: 42,
      MIRAGE_ROOTS: ["/a", "/b"],
      MIRAGE_STRICT: true,
    });
  });

  it("names the variable that is wrong", () => {
    expect(() => readEnv(schema, { MIRAGE_LIMIT: "1000" })).toThrow(/MIRAGE_LIMIT/);
    expect(() => readEnv(schema, { MIRAGE_STRICT: "maybe" })).toThrow(/MIRAGE_STRICT/);
  });
});
