/**
 * Test worker that parses a PROXY protocol v2 header (HAProxy's `send-proxy-v2`) on the socket
 * `shoal task` hands over as fd 3, then answers one HTTP request per connection with what the
 * header said: `proxy-v2 src=A:P dst=B:Q from <task>`, or `no-proxy-header from <task>` for a
 * connection without one (HAProxy's health checks, the readiness probe).
 *
 * @module
 */

import { createServer, type Socket } from "node:net";

const name = Deno.env.get("DEMO_TASK") ?? `pid-${Deno.pid}`;
const fd = Number(Deno.env.get("SHOAL_LISTENER_FD") ?? "3");
/** The 12-byte PROXY v2 signature. */
const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const HEAD_MAX = 16_384;

/** The addresses of a v2 header (`PROXY` command, TCP over IPv4), or an error text. */
function parseV2(buf: Uint8Array): { header: string; length: number } | undefined {
  if (buf.length < 16) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = 16 + view.getUint16(14);
  if (buf.length < length) return undefined;
  const verCmd = buf[12]!;
  const family = buf[13]!;
  if (verCmd !== 0x21) return { header: `bad-ver-cmd-${verCmd.toString(16)}`, length };
  if (family !== 0x11) return { header: `family-${family.toString(16)}`, length };
  const ip = (at: number) => [...buf.subarray(at, at + 4)].join(".");
  const src = `${ip(16)}:${view.getUint16(24)}`;
  const dst = `${ip(20)}:${view.getUint16(26)}`;
  return { header: `proxy-v2 src=${src} dst=${dst}`, length };
}

function answer(sock: Socket, text: string): void {
  const body = `${text} from ${name}\n`;
  sock.end(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

const server = createServer((sock) => {
  let buf = new Uint8Array(0);
  let done = false;
  sock.on("error", () => {});
  sock.on("data", (chunk: Uint8Array) => {
    if (done) return;
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    if (buf.length > HEAD_MAX) return void sock.destroy();
    const signed = SIGNATURE.every((b, i) => i >= buf.length || buf[i] === b);
    if (signed && buf.length < SIGNATURE.length) return;
    let header = "no-proxy-header";
    let rest = buf;
    if (signed) {
      const v2 = parseV2(buf);
      if (v2 === undefined) return;
      header = v2.header;
      rest = buf.subarray(v2.length);
    }
    if (!new TextDecoder().decode(rest).includes("\r\n\r\n")) return;
    done = true;
    answer(sock, header);
  });
});

Deno.addSignalListener("SIGTERM", () => server.close(() => Deno.exit(0)));
server.listen({ fd });
