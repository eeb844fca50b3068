import { deepStrictEqual as assertEq } from "node:assert/strict";
import { parseStatusLine } from "../../lib/supervisor/http_probe.ts";
import { LineSplitter } from "../../lib/supervisor/log_lines.ts";
import { parseNotifyMessage } from "../../lib/supervisor/notify.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseStatusLine() reads the status of a complete status line only", () => {
  assertEq(parseStatusLine(enc("HTTP/1.1 200 OK\r\nX: y")), 200);
  assertEq(parseStatusLine(enc("HTTP/1.0 503\r\n")), 503);
  assertEq(parseStatusLine(enc("HTTP/1.1 200 OK")), undefined);
  assertEq(parseStatusLine(enc("SSH-2.0-OpenSSH\r\n")), undefined);
});

Deno.test("parseNotifyMessage() splits KEY=VALUE lines and skips junk", () => {
  const m = parseNotifyMessage("READY=1\nSTATUS=a=b\njunk\n=x");
  assertEq([...m], [["READY", "1"], ["STATUS", "a=b"]]);
});

Deno.test("LineSplitter.push() joins partial chunks, strips CR and cuts overlong lines", () => {
  const s = new LineSplitter(4);
  assertEq(s.push(enc("ab")), []);
  assertEq(s.push(enc("c\r\nd")), ["abc"]);
  assertEq(s.push(enc("efghij\n")), ["defg", "hij"]);
  assertEq(s.push(enc("tail")), []);
  assertEq(s.flush(), ["tail"]);
  assertEq(s.flush(), []);
});
