/**
 * The whole-system simulation in CI: a fixed budget of seeds, each running the real sidecar and
 * task code against simulated HAProxies, workers and network faults, with every invariant
 * checked after every step (see `world/invariants.ts`).
 */

import assert from "node:assert/strict";
import { parseSimFlags, summary } from "./main.ts";
import { runScenario } from "./world/scenario.ts";

/** Seeds of the CI budget. */
const CI_SEEDS = 30;

/**
 * Seeds that fail on today's code, each a defect the simulation found, with the schedule that
 * finds it; each is a regression test below, to be enabled with its fix.
 */
const KNOWN_DEFECTS: readonly { seed: number; mistakes: boolean; defect: string }[] = [
  {
    seed: 78,
    mistakes: false,
    defect: "a task cut off by a long partition while both sidecars were replaced is not " +
      "routed again within 60 s of the heal (it knows only the old sidecars)",
  },
  {
    seed: 11,
    mistakes: true,
    defect: "an announce still waiting for its sender to become known is accepted after the " +
      "depart was answered: the departing task's server is added and routed to at SIGTERM",
  },
];

Deno.test("sim: the same seed gives the same trace hash; another seed another", async () => {
  const a = await runScenario({ seed: 7, chaosMs: 30_000, settleMs: 20_000 });
  const b = await runScenario({ seed: 7, chaosMs: 30_000, settleMs: 20_000 });
  const c = await runScenario({ seed: 8, chaosMs: 30_000, settleMs: 20_000 });
  assert.equal(a.hash, b.hash);
  assert.equal(a.traceLines, b.traceLines);
  assert.notEqual(a.hash, c.hash);
  assert.ok(a.traceLines > 100 && a.load.requests > 1000, summary(a, { sidecars: 2, tasks: 4 }));
});

Deno.test(`sim: seeds 1..${CI_SEEDS} hold every invariant (but the known defects)`, async () => {
  const failures: string[] = [];
  let faults = 0;
  for (let seed = 1; seed <= CI_SEEDS; seed++) {
    if (KNOWN_DEFECTS.some((k) => k.seed === seed && !k.mistakes)) continue;
    const r = await runScenario({ seed });
    faults += r.faults;
    if (r.violations.length > 0) {
      failures.push(`seed ${seed}: ${r.violations[0]}\n${r.tail.slice(-10).join("\n")}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(faults > 50, `the seeds injected only ${faults} faults`);
});

Deno.test("sim: seeds 1..10 hold every invariant against the HAProxy 3.2 model", async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = await runScenario({ seed, flavour: "3.2" });
    assert.deepEqual(r.violations, [], `seed ${seed} (HAProxy 3.2)`);
  }
});

for (const { seed, mistakes, defect } of KNOWN_DEFECTS) {
  Deno.test({
    name: `sim regression seed ${seed}${mistakes ? " --mistakes" : ""}: ${defect}`,
    ignore: true, // enable together with the fix
    fn: async () => {
      const r = await runScenario({ seed, mistakes });
      assert.deepEqual(r.violations, []);
    },
  });
}

Deno.test("sim: bad flags give one line naming the flag", () => {
  assert.match(String(parseSimFlags(["--seed", "x"])), /^--seed: /);
  assert.match(String(parseSimFlags(["--bogus"])), /^--bogus: /);
  assert.match(String(parseSimFlags(["--haproxy", "2.4", "--seed", "1"])), /^--haproxy: /);
  assert.match(String(parseSimFlags([])), /^--seed or --seeds/);
  assert.deepEqual(parseSimFlags(["--seeds", "5", "--from", "10"]), {
    from: 10,
    seeds: 5,
    sidecars: 2,
    tasks: 4,
    chaosS: 60,
    flavour: "2.6",
    trace: false,
    mistakes: false,
  });
});
