import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostAllowList, isInternalAddress } from "./address-policy.js";
import { fetchHttp } from "./http-fetch.js";

describe("isInternalAddress", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "::1",
    "fe80::1",
    "fd00::1",
    "0.0.0.0",
    "::ffff:10.0.0.1",
    "100.64.0.1",
    "not-an-ip",
  ])("refuses %s", (address) => expect(isInternalAddress(address)).toBe(true));
  it.each(["93.184.216.34", "8.8.8.8", "2606:4700::1111"])("admits public %s", (address) =>
    expect(isInternalAddress(address)).toBe(false),
  );
});

describe("fetchHttp", () => {
  let server: Server;
  let port: number;
  const png = Buffer.from("89504e470d0a1a0a", "hex");
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/image.png") return res.end(png);
      if (req.url === "/big") return res.end(Buffer.alloc(4096));
      if (req.url === "/to-localhost") {
        res.writeHead(302, { location: `http://localhost:${port}/image.png` });
        return res.end();
      }
      if (req.url === "/to-file") {
        res.writeHead(302, { location: "file:///etc/passwd" });
        return res.end();
      }
      if (req.url === "/slow") return setTimeout(() => res.end(png), 2000);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const opts = (allow: string[]) => ({ allow: createHostAllowList(allow), maxBytes: 1024, timeoutMs: 1000 });

  it("fetches from a host listed exactly, loopback included", async () => {
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/image.png`, opts([`127.0.0.1:${port}`])),
    ).resolves.toEqual(new Uint8Array(png));
  });

  it("refuses hosts not in the allow-list", async () => {
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/image.png`, opts(["images.example.com"])),
    ).rejects.toMatchObject({
      reason: "host-not-allowed",
    });
  });

  it("refuses internal addresses admitted only by a wildcard", async () => {
    await expect(fetchHttp(`http://127.0.0.1:${port}/image.png`, opts(["*"]))).rejects.toMatchObject({
      reason: "internal-address",
    });
    await expect(fetchHttp(`http://localhost:${port}/image.png`, opts(["*"]))).rejects.toMatchObject({
      reason: "internal-address",
    });
  });

  it("checks every redirect hop again", async () => {
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/to-localhost`, opts([`127.0.0.1:${port}`, "*"])),
    ).rejects.toMatchObject({
      reason: "internal-address",
    });
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/to-file`, opts([`127.0.0.1:${port}`])),
    ).rejects.toMatchObject({
      reason: "uri-scheme-not-allowed",
    });
  });

  it("caps size and time", async () => {
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/big`, opts([`127.0.0.1:${port}`])),
    ).rejects.toMatchObject({ reason: "image-too-large" });
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/slow`, { ...opts([`127.0.0.1:${port}`]), timeoutMs: 200 }),
    ).rejects.toMatchObject({
      reason: "fetch-timeout",
    });
    await expect(
      fetchHttp(`http://127.0.0.1:${port}/missing`, opts([`127.0.0.1:${port}`])),
    ).rejects.toMatchObject({ reason: "fetch-failed" });
  });
});
