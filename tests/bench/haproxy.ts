/**
 * Benchmark of the HAProxy runtime-API layer (not a test):
 *
 *   deno run -A tests/bench/haproxy.ts [servers=1000]
 *
 * For each client mode it starts a fresh local HAProxy (tests/_support launcher), then adds N
 * servers, makes them ready, drains them and deletes them (maint + del), and prints a markdown
 * table. A last row times the Reconciler converging a desired set of N servers, then removing it.
 */

import {
  addServerCommand,
  type Command,
  delServerCommand,
  Reconciler,
  RuntimeClient,
  type RuntimeClientOptions,
  setStateCommand,
} from "../../lib/haproxy/mod.ts";
import { HaproxyProcess } from "../_support/haproxy.ts";
import { systemClock } from "../../lib/clock.ts";

const count = Number(Deno.args[0] ?? 1000);
const backend = "be_app";
const names = Array.from({ length: count }, (_, i) => `shoal-bench-${i}`);

interface Row {
  mode: string;
  phases: number[];
}

type Sender = (client: RuntimeClient, commands: Command[]) => Promise<void>;

const pipelined: Sender = async (client, commands) => {
  for (const r of await client.executeAll(commands)) if (!r.ok) throw r.error;
};
const oneByOne: Sender = async (client, commands) => {
  for (const c of commands) await client.execute(c);
};

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function runMode(
  mode: string,
  options: Partial<RuntimeClientOptions>,
  send: Sender,
): Promise<Row> {
  const hap = await HaproxyProcess.start({ backends: [{ name: backend, lines: [] }] });
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath, ...options });
  try {
    const add = names.map((name, i) =>
      addServerCommand({ backend, name, addr: "127.0.0.2", port: 10_000 + i, weight: 10 })
    );
    const phases = [
      await timed(() => send(client, add)),
      await timed(() => send(client, names.map((n) => setStateCommand(backend, n, "ready")))),
      await timed(() => send(client, names.map((n) => setStateCommand(backend, n, "drain")))),
      await timed(() =>
        send(
          client,
          names.flatMap((
            n,
          ) => [setStateCommand(backend, n, "maint"), delServerCommand(backend, n)]),
        )
      ),
    ];
    if ((await client.serversState(backend)).length !== 0) throw new Error("servers left over");
    return { mode, phases };
  } finally {
    await client.close();
    await hap.stop();
  }
}

async function runReconciler(): Promise<Row> {
  const hap = await HaproxyProcess.start({ backends: [{ name: backend, lines: [] }] });
  const client = new RuntimeClient({ clock: systemClock, socketPath: hap.socketPath });
  const rec = new Reconciler(client, { backends: [backend], periodMs: 60_000 });
  try {
    await rec.start();
    const desired = names.map((name, i) => ({
      name,
      addr: "127.0.0.2",
      port: 10_000 + i,
      weight: 10,
      state: "ready" as const,
    }));
    const up = await timed(async () => {
      rec.setDesired(backend, desired);
      await rec.settled();
    });
    const down = await timed(async () => {
      rec.setDesired(backend, []);
      await rec.settled();
    });
    if ((await client.serversState(backend)).length !== 0) throw new Error("servers left over");
    return { mode: "Reconciler (pipelined plan)", phases: [up, NaN, NaN, down] };
  } finally {
    await rec.stop();
    await client.close();
    await hap.stop();
  }
}

const rows = [
  await runMode("per-command connections", { mode: "per-command" }, oneByOne),
  await runMode("persistent, one reply awaited at a time", {}, oneByOne),
  await runMode("persistent, pipelined", {}, pipelined),
  await runReconciler(),
];

const ms = (n: number) => Number.isNaN(n) ? "—" : `${n.toFixed(1)} ms`;
const version = (await haproxyVersion()).trim();
console.log(`${version}; ${count} servers; ${navigator.hardwareConcurrency} CPUs\n`);
console.log("| mode | add | ready | add + ready (registration) | drain | maint + del | total |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const { mode, phases } of rows) {
  const [add, ready, drain, del] = phases as [number, number, number, number];
  const registration = Number.isNaN(ready) ? add : add + ready;
  const total = phases.filter((n) => !Number.isNaN(n)).reduce((a, b) => a + b, 0);
  console.log(
    `| ${mode} | ${ms(add)} | ${ms(ready)} | ${ms(registration)} | ${ms(drain)} | ${ms(del)} | ${
      ms(total)
    } |`,
  );
}
console.log(
  "\nReconciler row: add + ready of the whole set in one pass; maint + del column is the removal pass.",
);

async function haproxyVersion(): Promise<string> {
  const out = await new Deno.Command("haproxy", { args: ["-v"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n")[0] ?? "";
}
