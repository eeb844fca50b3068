import { deepStrictEqual as assertEq, throws } from "node:assert/strict";
import {
  connectHost,
  formatHostPort,
  parseIpv6,
  parseListenAddress,
} from "../../lib/supervisor/address.ts";
import { SpecError } from "../../lib/supervisor/errors.ts";

Deno.test("parseListenAddress() reads IPv4 and bracketed IPv6 literals", () => {
  const v4 = parseListenAddress("127.0.0.2:8080");
  assertEq([v4.family, v4.host, v4.port, [...v4.bytes]], [4, "127.0.0.2", 8080, [127, 0, 0, 2]]);
  const v6 = parseListenAddress("[::1]:0");
  assertEq([v6.family, v6.host, v6.port], [6, "::1", 0]);
  assertEq([...v6.bytes], [...new Array(15).fill(0), 1]);
});

Deno.test("parseListenAddress() refuses names, bad ports and unbracketed IPv6", () => {
  for (const bad of ["localhost:80", "127.0.0.1:70000", "::1:80", "127.0.0.1", "1.2.3.256:1"]) {
    throws(() => parseListenAddress(bad), SpecError, bad);
  }
});

Deno.test("parseIpv6() expands :: and accepts a trailing dotted quad", () => {
  assertEq([...parseIpv6("fe80::1:2")!].slice(0, 2), [0xfe, 0x80]);
  assertEq([...parseIpv6("::ffff:127.0.0.1")!].slice(10), [0xff, 0xff, 127, 0, 0, 1]);
  assertEq([...parseIpv6("1:2:3:4:5:6:7:8")!].at(-1), 8);
  assertEq(parseIpv6("1::2::3"), undefined);
  assertEq(parseIpv6("1:2:3:4:5:6:7"), undefined);
  assertEq(parseIpv6("1:2:3:4::5:6:7:8"), undefined);
});

Deno.test("connectHost() maps wildcard binds to loopback of the same family", () => {
  assertEq(connectHost(parseListenAddress("0.0.0.0:1")), "127.0.0.1");
  assertEq(connectHost(parseListenAddress("[::]:1")), "::1");
  assertEq(connectHost(parseListenAddress("127.0.0.3:1")), "127.0.0.3");
  assertEq(formatHostPort("::1", 80), "[::1]:80");
  assertEq(formatHostPort("10.0.0.1", 80), "10.0.0.1:80");
});
