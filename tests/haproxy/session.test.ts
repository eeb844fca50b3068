import assert from "node:assert/strict";
import {
  HaproxyTimeoutError,
  parseInfo,
  RuntimeClient,
  type RuntimeConn,
} from "../../lib/haproxy/mod.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";
import { waitFor } from "../_support/haproxy.ts";

/** An in-memory connection: the test decides when each byte of the reply arrives. */
class ScriptedConn implements RuntimeConn {
  written = "";
  #queue: Uint8Array[] = [];
  #reader: ((n: number | null) => void) | undefined;
  #target: Uint8Array | undefined;
  #closed = false;

  /** True when every pushed byte was read and the session waits for more. */
  get drained(): boolean {
    return this.#queue.length === 0 && this.#reader !== undefined;
  }

  push(text: string): void {
    this.#queue.push(new TextEncoder().encode(text));
    this.#pump();
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#reader = resolve;
      this.#target = p;
      this.#pump();
    });
  }

  write(p: Uint8Array): Promise<number> {
    this.written += new TextDecoder().decode(p);
    return Promise.resolve(p.length);
  }

  close(): void {
    this.#closed = true;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.(null);
  }

  #pump(): void {
    const chunk = this.#queue[0];
    const reader = this.#reader;
    if (!chunk || !reader) return;
    const n = Math.min(chunk.length, this.#target!.length);
    this.#target!.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#queue.shift();
    else this.#queue[0] = chunk.subarray(n);
    this.#reader = undefined;
    reader(n);
  }
}

const INFO = await Deno.readTextFile(new URL("../fixtures/haproxy/show_info.txt", import.meta.url));

Deno.test("RuntimeClient keeps a reply that keeps streaming past the read timeout", async () => {
  const clock = new VirtualClock();
  const conn = new ScriptedConn();
  const client = new RuntimeClient({
    connector: () => Promise.resolve(conn),
    clock,
    readTimeoutMs: 150,
  });
  const info = client.info();
  await waitFor("the preamble", () => conn.written.includes("set severity-output string"));
  conn.push("\n> \n> ");
  await waitFor("show info to be sent", () => conn.written.includes("show info") && conn.drained);
  // 8 chunks 100 ms apart: 800 ms in all, far past the 150 ms timeout, but never 150 ms silent.
  const size = Math.ceil(INFO.length / 8);
  for (let at = 0; at < INFO.length; at += size) {
    await clock.advance(100);
    conn.push(INFO.slice(at, at + size));
    await waitFor("the chunk to be read", () => conn.drained);
  }
  await clock.advance(100);
  conn.push("\n> ");
  assert.equal((await info).pid, parseInfo(INFO).pid);
  assert.equal(clock.nowMs(), 900);
  await client.close();
});

Deno.test("RuntimeClient still times out when a reply stops mid-way", async () => {
  const clock = new VirtualClock();
  const conn = new ScriptedConn();
  const client = new RuntimeClient({
    connector: () => Promise.resolve(conn),
    clock,
    readTimeoutMs: 150,
  });
  const info = client.info();
  await waitFor("the preamble", () => conn.written.includes("set severity-output string"));
  conn.push("\n> \n> ");
  await waitFor("show info to be sent", () => conn.written.includes("show info") && conn.drained);
  conn.push("Name: HAProxy\n");
  await waitFor("the chunk to be read", () => conn.drained);
  const rejected = assert.rejects(info, HaproxyTimeoutError);
  await clock.advance(149);
  await clock.advance(1);
  await rejected;
  await client.close();
});
