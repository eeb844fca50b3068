/**
 * A real `serf agent` playing a task against `shoal sidecar`: an HTTP upstream on a port whose
 * `AnnounceRequest` is valid UTF-8, and `serf query` through the agent's RPC with a protobuf
 * payload passed as an argument (as a Go shoal task's serf node would send it).
 *
 * @module
 */

import { ok } from "node:assert/strict";
import type { SerfAgent } from "./serf_agent.ts";
import { serfBinary } from "./serf_cli.ts";

/**
 * A port whose protobuf varint is valid UTF-8, so an `AnnounceRequest` naming it can travel as a
 * `serf query` argument: three varint bytes, the first two a UTF-8 pair (0xC2-0xDF, 0x80-0xBF), the
 * last ASCII (1-3). That is 16384·b + 128·m + l with l in 0x42-0x5F, m in 0-0x3F, b in 1-3.
 */
export function utf8Ports(): number[] {
  const ports: number[] = [];
  for (let b = 1; b <= 3; b++) {
    for (let m = 0; m <= 0x3f; m++) {
      for (let l = 0x42; l <= 0x5f; l++) ports.push(b * 16384 + m * 128 + l);
    }
  }
  return ports;
}

/** A task's HTTP upstream on `hostname`: `/health` 200, `/hold` waits for `release()`, else its id. */
export function startTaskUpstream(id: string, hostname: string) {
  let waiters: (() => void)[] = [];
  const ports = utf8Ports();
  for (let i = 0; i < 50; i++) {
    const port = ports[Math.floor(Math.random() * ports.length)]!;
    try {
      const server = Deno.serve({ hostname, port, onListen() {} }, async (req) => {
        if (new URL(req.url).pathname === "/hold") {
          await new Promise<void>((r) => waiters.push(r));
        }
        return new Response(id);
      });
      return {
        port,
        get held() {
          return waiters.length;
        },
        release() {
          for (const w of waiters.splice(0)) w();
        },
        async close() {
          for (const w of waiters.splice(0)) w();
          waiters = [];
          await server.shutdown();
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    }
  }
  throw new Error(`No free UTF-8-safe port on ${hostname}`);
}

/** Bytes as the string argument that carries exactly them (they must be valid UTF-8). */
export function asArgument(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  ok(!text.includes("\0"), "payload must not contain NUL");
  return text;
}

/** Bytes as `printf` octal escapes, for a serf event handler that answers a query with them. */
export function printfScript(bytes: Uint8Array): string {
  return `printf '${[...bytes].map((b) => "\\" + b.toString(8).padStart(3, "0")).join("")}'`;
}

export interface QueryRun {
  /** Resolves when the first "Response from" line is printed, with the time it arrived. */
  readonly responded: Promise<number>;
  /** Resolves with the first response's payload once the CLI exits. */
  readonly payload: Promise<Uint8Array>;
}

/** Runs `serf query -tag role=sidecar <name> <payload>` through the agent's RPC, streaming output. */
export function serfQuery(
  agent: SerfAgent,
  name: string,
  payload: Uint8Array,
  timeout: string,
): QueryRun {
  const child = new Deno.Command(serfBinary(), {
    args: [
      "query",
      `-rpc-addr=${agent.rpcAddr}`,
      "-tag",
      "role=sidecar",
      `-timeout=${timeout}`,
      "-no-ack", // only response lines: the payload ends where "Total Responses" begins
      name,
      asArgument(payload),
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const marker = new TextEncoder().encode("Response from '");
  let resolveResponded!: (ms: number) => void;
  const responded = new Promise<number>((r) => (resolveResponded = r));
  const chunks: number[] = [];
  const payloadPromise = (async () => {
    for await (const chunk of child.stdout) {
      chunks.push(...chunk);
      if (indexOf(Uint8Array.from(chunks), marker) >= 0) resolveResponded(performance.now());
    }
    await child.status;
    const all = Uint8Array.from(chunks);
    const at = indexOf(all, marker);
    ok(at >= 0, `no response to ${name}: ${new TextDecoder().decode(all)}`);
    const start = indexOf(all, new TextEncoder().encode("': "), at) + 3;
    const end = indexOf(all, new TextEncoder().encode("\nTotal Responses: "), start);
    return all.slice(start, end);
  })();
  return { responded, payload: payloadPromise };
}

export function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
