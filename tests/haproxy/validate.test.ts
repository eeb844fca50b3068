import assert from "node:assert/strict";
import {
  formatEndpoint,
  parseIp,
  validateName,
  validatePort,
  validateWeight,
  ValidationError,
} from "../../lib/haproxy/mod.ts";

Deno.test("validateName() accepts HAProxy-safe names up to 64 characters", () => {
  for (const name of ["a", "shoal-web-1", "be_app", "A.b-c_9", "x".repeat(64)]) {
    assert.equal(validateName("server", name), name);
  }
});

Deno.test("validateName() refuses separators, blanks, non-ASCII, empty and over-long names", () => {
  const bad = [
    "",
    "x".repeat(65),
    "a;b",
    "a\nb",
    "a\rb",
    "a b",
    "a\tb",
    "a/b",
    "a:b",
    "a#b",
    "a<<",
    "a\\b",
    "é",
    "ｓｈｏａｌ",
    "a\u0000",
    'a"b',
    "a%b",
  ];
  for (const name of bad) {
    assert.throws(() => validateName("server", name), ValidationError, JSON.stringify(name));
  }
  assert.throws(() => validateName("backend", 42), ValidationError);
});

Deno.test("ValidationError names the field and quotes a bounded value", () => {
  assert.throws(() => validateName("backend", "x;".repeat(100)), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.field, "backend");
    assert.ok(e.message.length < 200, e.message);
    assert.match(e.message, /^Cannot use backend "x;x;/);
    return true;
  });
});

Deno.test("validatePort() and validateWeight() accept only integers in range", () => {
  assert.equal(validatePort(1), 1);
  assert.equal(validatePort(65535), 65535);
  for (const p of [0, -1, 65536, 70000, 1.5, NaN, "80", undefined]) {
    assert.throws(() => validatePort(p), ValidationError, String(p));
  }
  assert.equal(validateWeight(0), 0);
  assert.equal(validateWeight(256), 256);
  for (const w of [-1, 257, 2.5, "1", null]) {
    assert.throws(() => validateWeight(w), ValidationError, String(w));
  }
});

Deno.test("parseIp() canonicalises IPv4 and IPv6 literals", () => {
  assert.deepEqual(parseIp("10.0.0.1"), { family: 4, text: "10.0.0.1" });
  assert.deepEqual(parseIp("::1"), { family: 6, text: "::1" });
  assert.deepEqual(parseIp("[::1]"), { family: 6, text: "::1" });
  assert.equal(parseIp("2001:DB8:0:0:0:0:0:10").text, "2001:db8::10");
  assert.equal(parseIp("2001:db8:0:0:1:0:0:1").text, "2001:db8::1:0:0:1");
  assert.equal(parseIp("fe80:0:0:1:0:0:0:1").text, "fe80:0:0:1::1");
  assert.equal(parseIp("1:0:2:3:4:5:6:7").text, "1:0:2:3:4:5:6:7");
  assert.equal(parseIp("::").text, "::");
  assert.deepEqual(
    parseIp("::ffff:10.1.2.3"),
    { family: 4, text: "10.1.2.3" },
    "v4-mapped is IPv4",
  );
  assert.equal(parseIp("0:0:0:0:0:0:0:0").text, "::");
});

Deno.test("parseIp() refuses host names, ports, zones and malformed literals", () => {
  const bad = [
    "localhost",
    "10.0.0.1:80",
    "10.0.0.256",
    "10.0.0",
    "010.0.0.1",
    "10.0.0.1 ",
    "fe80::1%eth0",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "[::1",
    "10.0.0.1;del",
    "::1\nshow info",
    "",
    "1.2.3.4.5",
    "a".repeat(100),
  ];
  for (const addr of bad) assert.throws(() => parseIp(addr), ValidationError, addr);
});

Deno.test("formatEndpoint() brackets IPv6 and checks the port", () => {
  assert.equal(formatEndpoint(parseIp("10.0.0.1"), 80), "10.0.0.1:80");
  assert.equal(formatEndpoint(parseIp("2001:db8::10"), 8080), "[2001:db8::10]:8080");
  assert.throws(() => formatEndpoint(parseIp("::1"), 0), ValidationError);
});
