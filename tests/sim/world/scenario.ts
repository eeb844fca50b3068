/**
 * One simulation run from a seed: start the sidecars and tasks, then for `chaosMs` alternate
 * calm segments (rolling deploys only) and fault segments (partitions, packet loss, task and
 * worker crashes, sidecar crashes and replacements, HAProxy restarts, long partitions that only
 * serf's reconnect can heal, frozen processes; with fault set 2 also one-way cuts, bridged
 * non-transitive partitions, flapping links, packet duplication and task processes killed
 * without their worker, HAProxy reloads whose old process keeps its sessions), with request load and, with `mistakes`, a second task started with
 * a live task's node name
 * throughout; then heal everything, restart what is down, let the system settle and check
 * convergence. Invariants are checked after every clock step.
 *
 * @module
 */

import { type Prng, seededPrng } from "../../../lib/clock.ts";
import { SimNetwork } from "../../_support/sim_network.ts";
import { VirtualClock } from "../../_support/virtual_clock.ts";
import type { HaproxyFlavour } from "../haproxy/model.ts";
import { Invariants } from "./invariants.ts";
import { Load, type LoadStats } from "./load.ts";
import { GOSSIP_PORT, type SidecarHost, type TaskHost, World } from "./world.ts";

/** Settings of {@linkcode runScenario}. */
export interface ScenarioOptions {
  readonly seed: number;
  /** @default 2 */
  readonly sidecars?: number;
  /** @default 4 */
  readonly tasks?: number;
  /** @default 60000 */
  readonly chaosMs?: number;
  /** @default 60000 */
  readonly settleMs?: number;
  /** @default "2.6" */
  readonly flavour?: HaproxyFlavour;
  /**
   * Operator mistakes too: a task stopped right after it became ready, a second task started
   * with a live task's node name. Today both break invariants (see the regression seeds in
   * `sim.test.ts`). @default false
   */
  readonly mistakes?: boolean;
  /**
   * The fault set: `2` adds one-way and non-transitive partitions, link flapping, packet
   * duplication, HAProxy reloads (in place of half the crashes) and task processes killed
   * without their worker to the original `1`. A
   * regression seed recorded under set 1 keeps its schedule with 1. @default 2
   */
  readonly faultSet?: 1 | 2;
  /** Keep every trace line in the result. @default false */
  readonly keepTrace?: boolean;
  /** Called with the world before it starts (to inject bugs). */
  readonly prepare?: (world: World) => void;
}

/** What a run found. */
export interface ScenarioResult {
  readonly seed: number;
  readonly hash: string;
  readonly violations: readonly string[];
  readonly virtualMs: number;
  readonly traceLines: number;
  readonly tail: readonly string[];
  /** Every trace line, with `keepTrace`. */
  readonly trace: readonly string[] | null;
  readonly load: LoadStats;
  readonly faults: number;
  /** How many faults of each kind were injected, by name (see {@linkcode FAULT_NAMES}). */
  readonly faultKinds: Readonly<Record<string, number>>;
}

/** The fault kinds by draw (6 and 9 are both an HAProxy crash). */
export const FAULT_NAMES = [
  "partition",
  "loss",
  "task crash",
  "worker crash",
  "sidecar crash",
  "sidecar restart",
  "haproxy crash",
  "long partition",
  "freeze",
  "haproxy crash",
  "one-way cut",
  "bridged partition",
  "link flap",
  "duplication",
  "task parent crash",
] as const;

/** Every fault kind of set 2: the draws' and the reload, which replaces half the HAProxy crashes. */
export const FAULT_KINDS: readonly string[] = [...new Set(FAULT_NAMES), "haproxy reload"];

const SEGMENT_MS = 20_000;
/** How long the rolling deploy lets a task serve before stopping it (without `mistakes`). */
const MIN_SERVING_MS = 3000;

/** Runs one seed; see the module documentation. */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const clock = new VirtualClock();
  const hold = clock.holdAsync(); // the roles' promise chains run at the instant they resolve
  const net = new SimNetwork(clock, { seed: o.seed, delayMinMs: 1, delayMaxMs: 5 });
  const world = new World({
    seed: o.seed,
    clock,
    net,
    sidecars: o.sidecars ?? 2,
    tasks: o.tasks ?? 4,
    flavour: o.flavour ?? "2.6",
    keepTrace: o.keepTrace ?? false,
  });
  o.prepare?.(world);
  const inv = new Invariants(world);
  const load = new Load(world, inv);
  inv.attach(load);
  clock.afterEach = () => inv.step();
  const chaosMs = o.chaosMs ?? 60_000;
  let faults = 0;
  const chaos: Chaos = { isolated: null, kinds: {}, reloads: seededPrng(o.seed * 31 + 7) };
  const later = (ms: number, fn: () => void) => clock.setTimer(ms, fn);
  try {
    world.sidecars.forEach((_, i) => world.startSidecar(i));
    await clock.advance(1000);
    world.tasks.forEach((t, i) => t.spare || world.startTask(i));
    load.start();
    let calmSegment = true;
    let segmentEndMs = clock.nowMs() + SEGMENT_MS;
    while (clock.nowMs() < chaosMs && inv.violations.length === 0) {
      await clock.advance(300 + world.int(2700));
      world.reap();
      if (clock.nowMs() >= segmentEndMs) {
        calmSegment = world.int(2) === 0;
        segmentEndMs = clock.nowMs() + SEGMENT_MS;
        world.trace.add(`world segment ${calmSegment ? "calm" : "faults"}`);
      }
      if (calmSegment || world.int(10) < 6) workload(world, chaos, later, o.mistakes ?? false);
      else {
        faults++;
        injectFault(world, chaos, inv, later, o.faultSet ?? 2);
      }
    }
    if (inv.violations.length > 0) return result(world, inv, load, chaos, faults);
    // A long partition runs its course (healing it early would let memberlist heal it).
    while (chaos.isolated && inv.violations.length === 0) await clock.advance(1000);
    // Faults stop: heal, restart what is down, settle.
    chaos.isolated = null;
    net.heal();
    net.lossRate = 0;
    net.duplicateRate = 0;
    inv.fault();
    world.trace.add("world faults stop");
    await clock.advance(3000); // pending restarts land
    world.reap();
    world.sidecars.forEach((s, i) => s.proc || world.startSidecar(i));
    world.tasks.forEach((t, i) => t.proc || t.spare || world.startTask(i));
    await clock.advance(o.settleMs ?? 60_000);
    load.stop();
    world.reap();
    if (inv.violations.length === 0) {
      for (const v of inv.converged()) inv.violations.push(`${clock.nowMs()} ${v}`);
    }
  } finally {
    clock.afterEach = null;
    load.stop();
    for (const [i] of world.sidecars.entries()) world.crashSidecar(i);
    for (const [i] of world.tasks.entries()) world.crashTask(i);
    hold();
  }
  return result(world, inv, load, chaos, faults);
}

function result(
  world: World,
  inv: Invariants,
  load: Load,
  chaos: Chaos,
  faults: number,
): ScenarioResult {
  return {
    seed: world.seed,
    hash: world.trace.hash,
    violations: inv.violations,
    virtualMs: world.clock.nowMs(),
    traceLines: world.trace.lines,
    tail: world.trace.frozenTail ?? world.trace.tail(),
    trace: world.trace.all,
    load: load.stats,
    faults,
    faultKinds: chaos.kinds,
  };
}

/** A rolling-deploy step: stop one running task gracefully, or start one that is down. */
/** State of one run's schedule. */
interface Chaos {
  /** The hosts cut off by a long partition, while it lasts (nothing else touches them). */
  isolated: ReadonlySet<string> | null;
  /** Faults injected so far, by kind name. */
  kinds: Record<string, number>;
  /** Decides whether an HAProxy fault is a reload rather than a crash. */
  reloads: Prng;
}

function workload(
  world: World,
  chaos: Chaos,
  later: (ms: number, fn: () => void) => void,
  mistakes: boolean,
): void {
  const regular = world.tasks.filter((h) => !h.spare);
  const t = regular[world.int(regular.length)]!;
  if (chaos.isolated?.has(t.addr)) return;
  const spare = world.tasks.find((h) => h.spare && !h.proc);
  if (mistakes && world.int(8) === 0 && spare && t.proc && t.worker?.serving) {
    // A mistake the system must cope with: a second task with a live task's node name (a
    // copy-pasted --node, a reused hostname), noticed and stopped a while later.
    world.trace.add(`world clash ${t.name} on ${spare.addr}`);
    world.startTask(spare.index, { name: t.name });
    later(3000 + world.int(7000), () => world.stop(spare.proc, spare.name));
    return;
  }
  if (!t.proc) return world.startTask(t.index);
  const readyMs = t.worker?.serving ? t.worker.readyMs : undefined;
  if (readyMs === undefined) return;
  if (mistakes || world.clock.nowMs() - readyMs >= MIN_SERVING_MS) world.stop(t.proc, t.name);
}

function injectFault(
  world: World,
  chaos: Chaos,
  inv: Invariants,
  later: (ms: number, fn: () => void) => void,
  faultSet: 1 | 2,
) {
  const { net } = world;
  // During a long partition only packet loss is added, so that nothing but serf heals it.
  // Long partitions (7) twice as likely as the others: each needs a quiet stretch to matter.
  // Set 2 keeps them about as frequent (3 draws in 17), or the never-rejoin mutant goes unseen.
  const draw = world.int(faultSet === 1 ? 10 : 17);
  const kind = chaos.isolated ? 1 : draw === 9 || draw >= 15 ? 7 : draw;
  const name = FAULT_NAMES[kind]!;
  chaos.kinds[name] = (chaos.kinds[name] ?? 0) + 1;
  // A long partition outlives memberlist's gossip to the dead (30 s): only serf's reconnect heals.
  const ms = kind === 7 ? 45_000 + world.int(15_000) : 1000 + world.int(9000);
  const sc = world.sidecars[world.int(world.sidecars.length)]!;
  const regular = world.tasks.filter((h) => !h.spare);
  const t = regular[world.int(regular.length)]!;
  inv.fault();
  const end = (what: string, fn: () => void) =>
    later(ms, () => {
      fn();
      inv.fault();
      world.trace.add(`world ${what}`);
    });
  switch (kind) {
    case 0:
    case 7: {
      const hosts = [...world.sidecars, ...world.tasks].map((h) => h.addr);
      const side = hosts.filter(() => world.int(2) === 0);
      world.trace.add(`world partition [${side}] for ${ms} ms`);
      net.partition(
        [side, hosts.filter((h) => !side.includes(h))].map((g) =>
          g.map((host) => ({ host, port: GOSSIP_PORT }))
        ),
      );
      if (kind === 7) {
        chaos.isolated = new Set(
          side.length * 2 <= hosts.length ? side : hosts.filter((h) => !side.includes(h)),
        );
      }
      return void end("heal", () => {
        net.heal();
        chaos.isolated = null;
      });
    }
    case 1: {
      const rate = 0.05 + world.int(25) / 100;
      world.trace.add(`world loss ${rate} for ${ms} ms`);
      net.lossRate = rate;
      return void end("loss 0", () => (net.lossRate = 0));
    }
    case 2:
      return world.crashTask(t.index);
    case 3:
      world.trace.add(`world worker crash ${t.name}`);
      return t.worker?.crash();
    case 4:
      world.crashSidecar(sc.index);
      return void end("replace sidecar", () => sc.proc || world.startSidecar(sc.index));
    case 5:
      world.stop(sc.proc, sc.name);
      return void end("restart sidecar", function again() {
        world.reap();
        if (!sc.proc) world.startSidecar(sc.index);
        else if (sc.proc.stopRequestedMs !== undefined) later(500, again); // still stopping
      });
    case 8: {
      // A frozen process: a sidecar or a task stops running for a while, then resumes.
      const h = world.int(2) === 0 ? sc : t;
      world.freeze(h.proc, h.name, ms);
      return void end("thaw", () => {});
    }
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
      return injectFault2(world, { kind, ms, sc, t, chaos, end, later });
    default:
      // Set 2: half of them are reloads instead (a separate stream keeps the schedule).
      if (faultSet === 2 && chaos.reloads() < 0.5) {
        world.trace.add(`world haproxy reload hap-${sc.index}`);
        chaos.kinds["haproxy crash"]!--;
        chaos.kinds["haproxy reload"] = (chaos.kinds["haproxy reload"] ?? 0) + 1;
        sc.socket.reload();
        return;
      }
      world.trace.add(`world haproxy crash hap-${sc.index}`);
      sc.socket.crash();
      return void later(200 + world.int(1800), () => {
        sc.socket.start();
        inv.fault();
        world.trace.add(`world haproxy started hap-${sc.index}`);
      });
  }
}

interface Fault2 {
  kind: number;
  ms: number;
  sc: SidecarHost;
  t: TaskHost;
  chaos: Chaos;
  end: (what: string, fn: () => void) => void;
  later: (ms: number, fn: () => void) => void;
}

/** The faults of set 2 (see {@linkcode ScenarioOptions.faultSet}). */
function injectFault2(world: World, f: Fault2): void {
  const { net } = world;
  const hosts = [...world.sidecars, ...world.tasks].map((h) => h.addr);
  const at = (hs: readonly string[]) => hs.map((host) => ({ host, port: GOSSIP_PORT }));
  switch (f.kind) {
    case 10: {
      // One way: datagrams from one side to the other are dropped, the replies' way delivers.
      const side = hosts.filter(() => world.int(2) === 0);
      world.trace.add(`world one-way cut [${side}] -> rest for ${f.ms} ms`);
      net.cutOneWay(at(side), at(hosts.filter((h) => !side.includes(h))));
      return f.end("heal", () => net.heal());
    }
    case 11: {
      // Non-transitive: two groups that cannot reach each other, and bridges that reach both.
      const bucket = hosts.map(() => world.int(3));
      const groups = [0, 1].map((g) => hosts.filter((_, i) => bucket[i] === g));
      world.trace.add(`world partition [${groups[0]}] | [${groups[1]}] bridged for ${f.ms} ms`);
      net.partition(groups.map(at));
      return f.end("heal", () => net.heal());
    }
    case 12: {
      // A flapping link: one host's link goes down and up every 200..1500 ms.
      const host = world.int(2) === 0 ? f.sc : f.t;
      const me = at([host.addr]);
      const rest = at(hosts.filter((h) => h !== host.addr));
      const untilMs = world.clock.nowMs() + f.ms;
      world.trace.add(`world flap ${host.addr} for ${f.ms} ms`);
      const flap = (down: boolean) => {
        // a long partition, once it starts, is the only cut (the flap stops touching the net)
        if (f.chaos.isolated || world.clock.nowMs() >= untilMs) return net.uncutOneWay(me, rest);
        if (down) {
          net.cutOneWay(me, rest);
          net.cutOneWay(rest, me);
        } else net.uncutOneWay(me, rest);
        f.later(200 + world.int(1300), () => flap(!down));
      };
      flap(true);
      return f.end("flap over", () => net.uncutOneWay(me, rest));
    }
    case 13: {
      const rate = 0.05 + world.int(30) / 100;
      world.trace.add(`world duplication ${rate} for ${f.ms} ms`);
      net.duplicateRate = rate;
      return f.end("duplication 0", () => (net.duplicateRate = 0));
    }
    default:
      return world.crashTaskParent(f.t.index);
  }
}
