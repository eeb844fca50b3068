/**
 * The faults of a simulation run, drawn from the world's seed: see
 * `ScenarioOptions.faultSet` (scenario.ts) for the two sets.
 *
 * @module
 */

import type { Prng } from "../../../lib/clock.ts";
import type { Invariants } from "./invariants.ts";
import { GOSSIP_PORT, type SidecarHost, type TaskHost, type World } from "./world.ts";

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

/**
 * Every fault kind of set 2: the draws', the reload (which replaces half the HAProxy crashes) and
 * a worker that hangs on SIGTERM until SIGKILL (15% of the workers, see `WorldOptions.hangRate`).
 */
export const FAULT_KINDS: readonly string[] = [
  ...new Set(FAULT_NAMES),
  "haproxy reload",
  "worker hang",
];

/** State of one run's schedule. */
export interface Chaos {
  /** The hosts cut off by a long partition, while it lasts (nothing else touches them). */
  isolated: ReadonlySet<string> | null;
  /** Faults injected so far, by kind name. */
  kinds: Record<string, number>;
  /** Decides whether an HAProxy fault is a reload rather than a crash. */
  reloads: Prng;
}

export function injectFault(
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

/** The faults of set 2 (see `ScenarioOptions.faultSet` (scenario.ts)). */
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
