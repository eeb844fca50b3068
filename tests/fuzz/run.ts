/**
 * `deno task fuzz`: replays the attacks of issue 13 (tests/security/) with random mutations
 * against two real `shoal agent` processes and a real serf agent on loopback, for a bounded time, checking after every
 * round that both still run, RPC answers, clocks are not poisoned, memory stays bounded and the
 * pair still sees each other; at the end a third node must join through the attacked one.
 *
 * The seed is printed first; `SHOAL_SEED=<seed> deno task fuzz` replays the same inputs.
 * `SHOAL_FUZZ_SECONDS` sets the duration (default 30, at most 60).
 *
 * @module
 */

import { type Prng, seededPrng } from "../../lib/clock.ts";
import { LTIME_CEILING } from "../../lib/serf/lamport.ts";
import { type SerfAgent, startSerfAgent } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";
import {
  type ForgeTarget,
  memberNames,
  rssMiB,
  sendStream,
  sendUdp,
  serfInfo,
  startTarget,
} from "../_support/forge.ts";
import { generate, mutate } from "./attacks.ts";

/** RSS the attacked node may reach; an idle agent uses ~100 MiB. */
const RSS_MAX_MIB = 400;
/** Inputs sent between two invariant checks. */
const ROUND_INPUTS = 40;

function hostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(":");
  return { host: addr.slice(0, at), port: Number(addr.slice(at + 1)) };
}

async function send(prng: Prng, a: ForgeTarget, counts: Map<string, number>): Promise<void> {
  const input = generate(prng);
  const bytes = mutate(prng, input.bytes);
  counts.set(input.name, (counts.get(input.name) ?? 0) + 1);
  if (input.channel === "udp") {
    if (bytes.length <= 65_000) await sendUdp(a, [bytes]);
  } else if (input.channel === "tcp") await sendStream(a, bytes, 300);
  else await sendStream(hostPort(a.rpcAddr), bytes, 300);
}

async function check(a: ForgeTarget, b: ForgeTarget, serf: SerfAgent): Promise<string | null> {
  for (const t of [a, b]) {
    const status = await Promise.race([t.proc.status, Promise.resolve(null)]);
    if (status !== null) return `${t.proc.pid} exited: ${JSON.stringify(status)}`;
  }
  const info = await serfInfo(a.rpcAddr);
  if (info === null) return "RPC info failed";
  const top = Math.max(info.member, info.event, info.query);
  // a remote time up to 2^32 ahead is taken; nothing beyond the ceiling ever is
  if (top > LTIME_CEILING + 1) return `clock poisoned: ${JSON.stringify(info)}`;
  const rss = rssMiB(a.proc.pid);
  if (rss > RSS_MAX_MIB) return `RSS ${rss.toFixed(0)} MiB > ${RSS_MAX_MIB}`;
  const seen = await memberNames(b.rpcAddr);
  if (seen === null || !seen.includes("fuzz-a")) return "b lost a";
  // what we relay reaches a real serf agent: its clocks must stay sane too
  const real = await serfInfo(serf.rpcAddr);
  if (real === null) return "the serf agent's RPC failed";
  const realTop = Math.max(real.member, real.event, real.query);
  if (realTop > LTIME_CEILING + 1) return `serf agent clock poisoned: ${JSON.stringify(real)}`;
  return null;
}

async function main(): Promise<number> {
  const seed = Number(Deno.env.get("SHOAL_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const seconds = Math.min(60, Number(Deno.env.get("SHOAL_FUZZ_SECONDS") ?? 30));
  console.log(`fuzz: seed ${seed}, ${seconds} s (replay: SHOAL_SEED=${seed} deno task fuzz)`);
  const prng = seededPrng(seed);
  const a = await startTarget("fuzz-a");
  const b = await startTarget("fuzz-b", ["--join", `${a.host}:${a.port}`]);
  const serf = await startSerfAgent("fuzz-serf", { extraArgs: [`-join=${a.host}:${a.port}`] });
  const procs = [a, b];
  const counts = new Map<string, number>();
  let failure: string | null = null;
  let sent = 0;
  try {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end && failure === null) {
      for (let i = 0; i < ROUND_INPUTS; i++, sent++) await send(prng, a, counts);
      failure = await check(a, b, serf);
    }
    if (failure === null) {
      const ev = await serfCli("event", a.rpcAddr, ["fuzz-done"], 5000);
      if (ev.code !== 0) failure = `serf event after the attack: ${ev.stdout}${ev.stderr}`;
    }
    if (failure === null) {
      const c = await startTarget("fuzz-c", ["--join", `${a.host}:${a.port}`]).catch((e) => e);
      if (c instanceof Error) {
        failure = `a new node could not join: ${
          c.message.split("\n").filter((l: string) => /join/.test(l)).join("\n")
        }`;
      } else procs.push(c);
    }
  } finally {
    for (const p of procs) await p.proc.stop();
    await serf.stop();
  }
  console.log(`fuzz: ${sent} inputs`, Object.fromEntries([...counts].sort()));
  if (failure !== null) {
    console.error(`fuzz: FAILED after ${sent} inputs: ${failure}`);
    console.error(`fuzz: replay with SHOAL_SEED=${seed} deno task fuzz`);
    return 1;
  }
  console.log(`fuzz: ok (RSS under ${RSS_MAX_MIB} MiB, clocks sane, a new node joined)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
