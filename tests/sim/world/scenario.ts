/**
 * One simulation run from a seed: start the sidecars and tasks, then for `chaosMs` alternate
 * calm segments (rolling deploys only) and fault segments (partitions, packet loss, task and
 * worker crashes, sidecar crashes and replacements, HAProxy restarts, long partitions that only
 * serf's reconnect can heal, frozen processes; with fault set 2 also one-way cuts, bridged
 * non-transitive partitions, flapping links, packet duplication and task processes killed
 * without their worker, HAProxy reloads whose old process keeps its sessions, and half the
 * seeds with `--slowstart`), with request load and, with `mistakes`, a second task started
 * with a live task's node name
 * throughout; then heal everything, restart what is down, let the system settle and check
 * convergence. Invariants are checked after every clock step.
 *
 * @module
 */

import { seededPrng } from "../../../lib/clock.ts";
import { SimNetwork } from "../../_support/sim_network.ts";
import { VirtualClock } from "../../_support/virtual_clock.ts";
import type { HaproxyFlavour } from "../haproxy/model.ts";
import { Invariants } from "./invariants.ts";
import { Load, type LoadStats } from "./load.ts";
import { type Chaos, injectFault } from "./faults.ts";
import { World } from "./world.ts";

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
  /** How many faults of each kind were injected, by name (see `FAULT_KINDS`). */
  readonly faultKinds: Readonly<Record<string, number>>;
  /** The sidecars' `--slowstart` in this run (0: none). */
  readonly slowstartMs: number;
}

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
    slowstartMs: slowstartFor(o),
    hangRate: (o.faultSet ?? 2) === 2 ? 0.15 : 0,
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
    faultKinds: { ...chaos.kinds, ...(world.hangs > 0 ? { "worker hang": world.hangs } : {}) },
    slowstartMs: world.slowstartMs,
  };
}

/** A rolling-deploy step: stop one running task gracefully, or start one that is down. */
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

/** Set 2: half the seeds run sidecars with `--slowstart` 2..10 s (from a stream of its own). */
function slowstartFor(o: ScenarioOptions): number {
  if ((o.faultSet ?? 2) !== 2) return 0;
  const r = seededPrng(o.seed * 131 + 3);
  return r() < 0.5 ? 0 : 2000 + Math.floor(r() * 8000);
}
