/**
 * The HAProxy model's contract: every script of `haproxy/contract.ts` gives the same transcript
 * on real HAProxy 2.6 (Debian 12's `/usr/sbin/haproxy`) and 3.2 (`/opt/shoal-peers/path/haproxy-3.2/haproxy`, skipped
 * when absent) as on the model imitating that version.
 */

import assert from "node:assert/strict";
import { PromptFramer } from "../../lib/haproxy/framing.ts";
import type { RuntimeConn } from "../../lib/haproxy/transport.ts";
import { HaproxyProcess, startUpstream, type Upstream } from "../_support/haproxy.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";
import { SimAdminSocket } from "./haproxy/cli.ts";
import { CASES, type ContractTarget, runScript } from "./haproxy/contract.ts";
import { type HaproxyFlavour, SimHaproxy, type SimServer } from "./haproxy/model.ts";

/** Fixed binaries, whatever PATH says (the CI peer runs put a newer haproxy first on PATH). */
const BINARIES: Record<HaproxyFlavour, string> = {
  "2.6": "/usr/sbin/haproxy", // Debian 12's
  "3.2": "/opt/shoal-peers/path/haproxy-3.2/haproxy",
};

/** Fails clearly when a binary is not the version its model imitates. */
async function assertVersion(flavour: HaproxyFlavour): Promise<void> {
  const out = await new Deno.Command(BINARIES[flavour], { args: ["-v"] }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(text.startsWith(`HAProxy version ${flavour}.`), `${BINARIES[flavour]}: ${text}`);
}
const MARKER = "show version";
const encoder = new TextEncoder();

/** A prompt-mode connection that sends each line with a marker and returns the line's frames. */
class MarkedConn {
  readonly #conn: RuntimeConn;
  readonly #framer = new PromptFramer();
  readonly #frames: string[] = [];
  #marker = "";
  #closed = false;
  #notify: (() => void) | null = null;
  readonly #reading: Promise<void>;
  readonly #wait: (ms: number) => Promise<void>;

  constructor(conn: RuntimeConn, wait: (ms: number) => Promise<void>) {
    this.#conn = conn;
    this.#wait = wait;
    this.#reading = this.#read();
  }

  static async open(conn: RuntimeConn, wait: (ms: number) => Promise<void>): Promise<MarkedConn> {
    const c = new MarkedConn(conn, wait);
    await conn.write(encoder.encode("prompt\nset severity-output string\n" + MARKER + "\n"));
    const first = await c.#collect(3);
    c.#marker = first[2]!;
    return c;
  }

  async send(line: string): Promise<string[]> {
    await this.#conn.write(encoder.encode(`${line}\n${MARKER}\n`));
    const frames: string[] = [];
    for (;;) {
      const [f] = await this.#collect(1);
      if (f === this.#marker) return frames;
      frames.push(f!);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#conn.close();
    await this.#reading.catch(() => {});
  }

  async #collect(n: number): Promise<string[]> {
    for (let waited = 0; this.#frames.length < n; waited += 5) {
      if (waited > 10_000 || this.#closed) throw new Error("No reply from HAProxy");
      await Promise.race([new Promise<void>((r) => (this.#notify = r)), this.#wait(5)]);
    }
    return this.#frames.splice(0, n);
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(1 << 16);
    for (;;) {
      const n = await this.#conn.read(buf).catch(() => null);
      if (n === null) return;
      this.#frames.push(...this.#framer.push(buf.subarray(0, n)));
      this.#notify?.();
    }
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function realTarget(flavour: HaproxyFlavour): Promise<
  ContractTarget & { close(): Promise<void> }
> {
  const upstream: Upstream = startUpstream("u");
  const hap = await HaproxyProcess.start({
    binary: BINARIES[flavour],
    backends: [
      { name: "be_app" },
      { name: "be_zombie" },
      { name: "be_hash", balance: "source", lines: ["hash-type map-based"] },
    ],
  });
  const connect = async () =>
    await MarkedConn.open(
      await Deno.connect({ transport: "unix", path: hap.socketPath }),
      realSleep,
    );
  let conn = await connect();
  let old: MarkedConn | undefined;
  const held: Promise<unknown>[] = [];
  return {
    upstreamPort: upstream.port,
    send: (line) => conn.send(line),
    sendOld: (line) => old!.send(line),
    sleep: realSleep,
    setHealthy: (ok) => void (upstream.healthy = ok),
    hold: () => {
      held.push(fetch(hap.url("be_app", "/hold")).then((r) => r.body?.cancel()).catch(() => {}));
      return Promise.resolve();
    },
    release: async () => {
      upstream.release();
      await Promise.all(held.splice(0));
    },
    restart: async () => {
      await conn.close();
      await hap.restart();
      conn = await connect();
    },
    reload: async () => {
      await old?.close();
      await hap.reload();
      old = conn;
      conn = await connect();
    },
    close: async () => {
      await old?.close();
      await conn.close();
      upstream.release();
      await hap.stop();
      await Promise.all(held);
      await upstream.close();
    },
  };
}

function modelTarget(flavour: HaproxyFlavour): ContractTarget & { close(): Promise<void> } {
  const clock = new VirtualClock();
  const upstreamPort = 18080;
  let healthy = true;
  const hap = new SimHaproxy({
    clock,
    flavour,
    backends: [{ name: "be_app" }, { name: "be_zombie" }, { name: "be_hash", dynamic: false }],
    probe: (addr, port) => healthy && addr === "127.0.0.1" && port === upstreamPort,
  });
  const socket = new SimAdminSocket(hap, clock);
  const wait = (ms: number) => clock.advance(ms);
  const connect = async () => await MarkedConn.open(await socket.connector()(), wait);
  let conn: MarkedConn | undefined;
  let old: MarkedConn | undefined;
  const held: SimServer[] = [];
  return {
    upstreamPort,
    send: async (line) => (conn ??= await connect()).send(line),
    sendOld: (line) => old!.send(line),
    sleep: wait,
    setHealthy: (ok) => void (healthy = ok),
    hold: () => {
      const s = hap.openSession("be_app");
      if (s) held.push(s);
      return Promise.resolve();
    },
    release: () => Promise.resolve(held.splice(0).forEach((s) => hap.closeSession(s))),
    restart: async () => {
      await conn?.close();
      socket.crash();
      socket.start();
      conn = await connect();
    },
    reload: async () => {
      await old?.close();
      conn ??= await connect();
      socket.reload();
      old = conn;
      conn = await connect();
    },
    close: async () => {
      await old?.close();
      await conn?.close();
    },
  };
}

async function transcripts(
  target: ContractTarget & { close(): Promise<void> },
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  try {
    for (const [name, steps] of Object.entries(CASES)) {
      out.set(name, await runScript(target, steps));
    }
  } finally {
    await target.close();
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  if (!path.includes("/")) return true;
  return await Deno.stat(path).then(() => true, () => false);
}

for (const flavour of ["2.6", "3.2"] as const) {
  Deno.test({
    name: `HAProxy model matches real HAProxy ${flavour} on every contract script`,
    ignore: !(await exists(BINARIES[flavour])),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await assertVersion(flavour);
      const real = await transcripts(await realTarget(flavour));
      const model = await transcripts(modelTarget(flavour));
      const debug = Deno.env.get("SHOAL_CONTRACT_DUMP");
      if (debug) {
        await Deno.writeTextFile(`${debug}.${flavour}.real`, [...real.values()].flat().join("\n"));
        await Deno.writeTextFile(
          `${debug}.${flavour}.model`,
          [...model.values()].flat().join("\n"),
        );
      }
      for (const name of Object.keys(CASES)) {
        assert.deepStrictEqual(
          model.get(name),
          real.get(name),
          `script "${name}" (HAProxy ${flavour})`,
        );
        // A ramp's verdict must be "ok" on the real HAProxy, not merely the model's same complaint.
        for (const entry of real.get(name) ?? []) {
          if (entry.includes(" (ramp ")) assert.match(entry, / => ok$/, `${name}: ${entry}`);
        }
      }
    },
  });
}

Deno.test("HAProxy contract: 2.6 and 3.2 really differ in `;` framing (the model follows)", async () => {
  const a = await transcripts(modelTarget("2.6"));
  const b = await transcripts(modelTarget("3.2"));
  const line = (m: Map<string, string[]>) =>
    m.get("errors: exact texts")!.find((l) => l.startsWith("set server be_app/x"))!;
  assert.deepStrictEqual(line(a).includes("[2 frames]"), true);
  assert.deepStrictEqual(line(b).includes("[1 frame]"), true);
});
