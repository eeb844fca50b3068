import { deepStrictEqual as assertEq, throws } from "node:assert/strict";
import { connectHost, formatHostPort, parseListenAddress } from "../../lib/supervisor/address.ts";
import { SpecError } from "../../lib/supervisor/errors.ts";

Deno.test("parseListenAddress() reads IPv4 and bracketed IPv6 literals", () => {
  const v4 = parseListenAddress("127.0.0.2:8080");
  assertEq([v4.family, v4.host, v4.port, [...v4.bytes]], [4, "127.0.0.2", 8080, [127, 0, 0, 2]]);
  const v6 = parseListenAddress("[::1]:0");
  assertEq([v6.family, v6.host, v6.port], [6, "::1", 0]);
  assertEq([...v6.bytes], [...new Array(15).fill(0), 1]);
});

Deno.test("parseListenAddress() reads a v4-mapped literal as its IPv4 address", () => {
  const a = parseListenAddress("[::ffff:127.0.0.2]:80");
  assertEq([a.family, a.host, a.port, [...a.bytes]], [4, "127.0.0.2", 80, [127, 0, 0, 2]]);
});

Deno.test("parseListenAddress() refuses names, bad ports, zero padding and unbracketed IPv6", () => {
  const bads = ["localhost:80", "127.0.0.1:70000", "::1:80", "127.0.0.1", "1.2.3.256:1"];
  for (const bad of [...bads, "127.000.0.1:80", "[10.0.0.1]:80", "[fe80::1%lo]:80"]) {
    throws(() => parseListenAddress(bad), SpecError, bad);
  }
});

Deno.test("connectHost() maps wildcard binds to loopback of the same family", () => {
  assertEq(connectHost(parseListenAddress("0.0.0.0:1")), "127.0.0.1");
  assertEq(connectHost(parseListenAddress("[::]:1")), "::1");
  assertEq(connectHost(parseListenAddress("127.0.0.3:1")), "127.0.0.3");
  assertEq(formatHostPort("::1", 80), "[::1]:80");
  assertEq(formatHostPort("10.0.0.1", 80), "10.0.0.1:80");
});
