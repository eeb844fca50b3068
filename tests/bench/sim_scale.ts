/**
 * Scale of the gossip layer in the deterministic simulation (not a test), shoal issue 15:
 *
 *   deno task sim:scale [--nodes 100,1000,5000] [--seed 1] [--joins 3] [--failures 3]
 *                       [--warmup-s 5] [--window-s 30] [--loss 0]
 *   deno task sim:scale --merge [--nodes 1200] [--seed 1]
 *
 * For each size n: n real `lib/gossip` nodes (LAN profile, empty delegate) on a
 * {@linkcode SimCluster} (simulated network, 1–5 ms one-way delay, virtual clock), preloaded as a
 * converged cluster whose push/pulls are spread over the scaled period (as in a cluster whose nodes
 * started at different times; memberlist staggers the first over 30 s, which at 5000 nodes would
 * put 5000 full-state exchanges into the first 30 s); `warmup-s` virtual seconds pass, then:
 *
 * - bandwidth: datagram (UDP) and stream (TCP) bytes sent over `window-s` after the warm-up, per
 *   node per second;
 * - join: a fresh node joins a random member; the virtual time until 50/90/99/100 % of the
 *   members see it alive;
 * - failure: a random member is killed; the time until the first member suspects it, until the
 *   first declares it dead, and until 50/90/99/100 % of the survivors see it dead.
 *
 * With `--merge`, instead: each size is preloaded as two clusters of n / 2, node 1 joins node 0,
 * and it reports when 50/90/99/100 % of the nodes knew all n, and how many new names the
 * per-source admission budget refused on the way.
 *
 * One seed reproduces every number: the run prints `seed=S` and a hash of all results, and the
 * same seed prints the same hash. Health counters (false deaths, refutations, push/pull failures,
 * the deepest broadcast queue) flag protocol defects at scale.
 */

import { parseArgs } from "node:util";
import { seededPrng } from "../../lib/clock.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { suspicionBounds } from "../../lib/gossip/suspicion.ts";
import { pushPullScaleMs } from "../../lib/gossip/swim_core.ts";
import { SimCluster } from "../_support/cluster.ts";
import {
  failureExperiment,
  type Health,
  health,
  joinExperiment,
  mergeExperiment,
  type Quantiles,
} from "../_support/sim_track.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "100,1000,5000" },
    seed: { type: "string", default: "1" },
    joins: { type: "string", default: "3" },
    failures: { type: "string", default: "3" },
    "warmup-s": { type: "string", default: "5" },
    "window-s": { type: "string", default: "30" },
    loss: { type: "string", default: "0" },
    merge: { type: "boolean", default: false },
  },
});

function flag(name: string, ok: (v: number) => boolean): number {
  const v = Number(values[name as keyof typeof values]);
  if (!ok(v)) {
    console.error(`sim_scale: bad --${name} ${values[name as keyof typeof values]}`);
    Deno.exit(2);
  }
  return v;
}

const sizes = values.nodes.split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 5 || n > 20_000)) {
  console.error(`sim_scale: bad --nodes ${values.nodes} (integers 5..20000)`);
  Deno.exit(2);
}
const seed = flag("seed", Number.isInteger);
const joins = flag("joins", (v) => Number.isInteger(v) && v >= 0);
const failures = flag("failures", (v) => Number.isInteger(v) && v >= 0);
const warmupMs = flag("warmup-s", (v) => v >= 0) * 1000;
const windowMs = flag("window-s", (v) => v > 0) * 1000;
const lossRate = flag("loss", (v) => v >= 0 && v < 1);

const LAN = gossipConfig("lan");
/** Virtual time between experiments, for the last one's broadcasts to drain. */
const SETTLE_MS = 5_000;

interface Row {
  n: number;
  periodS: number;
  udpBps: number;
  tcpBps: number;
  join: Quantiles[];
  suspectMs: number[];
  deadMs: number[];
  deadKnown: Quantiles[];
  health: Health;
  wallS: number;
}

/** A progress line on stderr (the results go to stdout). */
function progress(n: number, wall0: number, what: string): void {
  console.error(`  n=${n} +${((performance.now() - wall0) / 1000).toFixed(0)}s ${what}`);
}

async function measure(n: number): Promise<Row> {
  const wall0 = performance.now();
  const periodMs = pushPullScaleMs(LAN.pushPullIntervalMs, n);
  const c = await SimCluster.create({
    size: n,
    seed: seed * 100_003 + n,
    bootstrap: "preload",
    firstPushPullWithinMs: periodMs,
    network: { lossRate },
  });
  progress(n, wall0, "cluster built");
  const pick = seededPrng(seed ^ (n * 7919));
  await c.clock.advance(warmupMs);
  const s0 = { ...c.net.stats };
  await c.clock.advance(windowMs);
  const perNodeS = n * windowMs / 1000;
  const udpBps = (c.net.stats.bytesSent - s0.bytesSent) / perNodeS;
  const tcpBps = (c.net.stats.streamBytesSent - s0.streamBytesSent) / perNodeS;
  const row: Row = {
    n,
    periodS: periodMs / 1000,
    udpBps,
    tcpBps,
    join: [],
    suspectMs: [],
    deadMs: [],
    deadKnown: [],
    health: health(c, new Set()),
    wallS: 0,
  };
  const killed = new Set<string>();
  for (let j = 0; j < joins; j++) {
    row.join.push(await joinExperiment(c, pick, LAN));
    progress(n, wall0, `join ${j + 1}: ${fmtQ([row.join.at(-1)!])} s`);
    await c.clock.advance(SETTLE_MS);
  }
  for (let f = 0; f < failures; f++) {
    const r = await failureExperiment(c, pick, LAN);
    killed.add(r.victim);
    row.suspectMs.push(r.firstSuspectMs);
    row.deadMs.push(r.firstDeadMs);
    row.deadKnown.push(r.dead);
    progress(n, wall0, `kill ${f + 1}: dead ${fmtQ([r.dead])} s`);
    await c.clock.advance(SETTLE_MS);
  }
  row.health = health(c, killed);
  c.assertNoViolations();
  await c.shutdown();
  row.wallS = (performance.now() - wall0) / 1000;
  return row;
}

const fmtQ = (qs: Quantiles[]) =>
  qs.length === 0 ? "–" : qs.map((q) => q.map((v) => (v / 1000).toFixed(2)).join("/")).join("; ");
const fmtL = (xs: number[]) => xs.map((v) => (v / 1000).toFixed(2)).join("; ");

if (values.merge) await merges();
console.log(
  `seed=${seed} nodes=${sizes.join(",")} joins=${joins} failures=${failures} ` +
    `warmup=${warmupMs / 1000}s window=${windowMs / 1000}s loss=${lossRate}`,
);
const rows: Row[] = [];
for (const n of sizes) {
  const r = await measure(n);
  rows.push(r);
  const b = suspicionBounds(LAN, n);
  console.log(
    `n=${n} pushPullPeriod=${r.periodS}s udp=${r.udpBps.toFixed(0)}B/node/s tcp=${
      r.tcpBps.toFixed(0)
    }B/node/s ` +
      `join(50/90/99/100%,s)=${fmtQ(r.join)} firstSuspect(s)=${fmtL(r.suspectMs)} ` +
      `firstDead(s)=${fmtL(r.deadMs)} dead(50/90/99/100%,s)=${fmtQ(r.deadKnown)} ` +
      `lifeguard[min,max]=[${b.minMs / 1000},${b.maxMs / 1000}]s health=${
        JSON.stringify(r.health)
      } ` +
      `wall=${r.wallS.toFixed(0)}s`,
  );
}
const digest = await crypto.subtle.digest(
  "SHA-256",
  new TextEncoder().encode(JSON.stringify(rows.map(({ wallS: _, ...r }) => r))),
);
const hash = [...new Uint8Array(digest).slice(0, 8)].map((x) => x.toString(16).padStart(2, "0"))
  .join("");
console.log(`seed=${seed} hash=${hash}`);

async function merges(): Promise<never> {
  console.log(`seed=${seed} merge nodes=${sizes.join(",")}`);
  for (const n of sizes) {
    const c = await SimCluster.create({
      size: n,
      seed: seed * 100_003 + n,
      bootstrap: "preload",
      preloadClusters: 2,
      firstPushPullWithinMs: pushPullScaleMs(LAN.pushPullIntervalMs, n / 2),
      network: { lossRate },
    });
    await c.clock.advance(warmupMs);
    const r = await mergeExperiment(c, 2 * pushPullScaleMs(LAN.pushPullIntervalMs, n));
    console.log(
      `n=${n} (2 × ${n / 2}) everyone knows all (50/90/99/100%,s)=${fmtQ([r.complete])} ` +
        `refusedFromSource=${r.refusedFromSource}`,
    );
    c.assertNoViolations();
    await c.shutdown();
  }
  Deno.exit(0);
}
