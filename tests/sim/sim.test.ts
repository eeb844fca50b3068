/**
 * The whole-system simulation in CI: a fixed budget of seeds, each running the real sidecar and
 * task code against simulated HAProxies, workers and network faults, with every invariant
 * checked after every step (see `world/invariants.ts`).
 */

import assert from "node:assert/strict";
import { parseSimFlags, summary } from "./main.ts";
import { FAULT_KINDS } from "./world/faults.ts";
import { runScenario } from "./world/scenario.ts";

/** Seeds of the CI budget. */
const CI_SEEDS = 100;

/**
 * Defects the simulation found, each a regression seed with the schedule that found it. Seeds are
 * tied to the code: a change to the product or the world may move a defect to another seed, so
 * each entry says what the seed exercised when it was recorded (check its trace still does).
 */
const REGRESSIONS: readonly {
  seed: number;
  mistakes: boolean;
  /** The fault set the seed was recorded under (see `ScenarioOptions.faultSet`). */
  faultSet: 1 | 2;
  defect: string;
}[] = [
  {
    seed: 78,
    mistakes: false,
    faultSet: 1,
    defect: "a task cut off by a 52 s partition while both sidecars were replaced is routed " +
      "again after the heal (fixed by the rejoin loop: it knew only the old sidecars)",
  },
  {
    seed: 11,
    mistakes: true,
    faultSet: 1,
    defect: "an announce still waiting for its sender to become known, sent before the task's " +
      "depart, is refused once the depart was answered (it added the departing task's server)",
  },
  {
    seed: 96,
    mistakes: true,
    faultSet: 1,
    defect: "a depart from a sender not known yet waits for it like an announce (refused at " +
      "once, it let the announce waiting before it add the departing task's server)",
  },
  {
    seed: 90,
    mistakes: false,
    faultSet: 2,
    defect: "a task declared failed after a one-way cut healed (its refutation was lost) is " +
      "routed again at the next solicit (the solicit ended as soon as the tasks believed " +
      "alive answered, dropping the relayed answer of the task believed failed)",
  },
  {
    seed: 65,
    mistakes: true,
    faultSet: 2,
    defect: "an announce sent before the task's depart, still waiting for its verification " +
      "ping when the depart arrived, is refused after the ping (it added the departing task's " +
      "server once the depart had been answered)",
  },
  {
    seed: 22,
    mistakes: true,
    faultSet: 2,
    defect:
      "a solicit answer (state ready) the task sent just before its SIGTERM, arriving after " +
      "its depart, is dropped (it re-enabled the draining server, which then never drained)",
  },
  {
    seed: 34,
    mistakes: true,
    faultSet: 2,
    defect: "a solicit answer from a task believed failed is registered once its refutation " +
      "arrives after the join (registered at once, it was refused as failed: out of rotation " +
      "on one HAProxy until the next round)",
  },
  {
    seed: 93,
    mistakes: false,
    faultSet: 2,
    defect: "both sidecars replaced at nearly the same time (the first new one joining the " +
      "dead one), with workers that hang on SIGTERM: a task whose memberlist still suspected " +
      "the dead old sidecar (serf reports it alive) did not rejoin until the suspicion timed " +
      "out, and the new sidecars removed its server as an orphan (fixed: a suspect sidecar is " +
      "not alive for the rejoin rule, and a suspicion looks again at once)",
  },
  {
    seed: 86,
    mistakes: true,
    faultSet: 2,
    defect: "a mistaken second task of the same name, learnt first by a sidecar that was cut " +
      "off, loses the name and exits: the sidecar kept its dead address for the name (the real " +
      "task's alives were conflicts), joined and pinged that dead address for the real task's " +
      "solicit answers and refused them, out of rotation on one HAProxy for over 35 s (fixed: a " +
      "dead name may move to a new address 5 s after its death, and an answer from a member " +
      "believed failed joins the address the answer came from)",
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

Deno.test(`sim: seeds 1..${CI_SEEDS} hold every invariant`, async () => {
  const failures: string[] = [];
  let faults = 0;
  let slowstarts = 0;
  const kinds = new Map<string, number>();
  for (let seed = 1; seed <= CI_SEEDS; seed++) {
    const r = await runScenario({ seed });
    faults += r.faults;
    if (r.slowstartMs > 0) slowstarts++;
    for (const [k, n] of Object.entries(r.faultKinds)) kinds.set(k, (kinds.get(k) ?? 0) + n);
    if (r.violations.length > 0) {
      failures.push(`seed ${seed}: ${r.violations[0]}\n${r.tail.slice(-10).join("\n")}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(faults > 50, `the seeds injected only ${faults} faults`);
  assert.ok(slowstarts >= 30, `only ${slowstarts} seeds ran with --slowstart`);
  const missing = FAULT_KINDS.filter((k) => (kinds.get(k) ?? 0) < 3);
  assert.deepEqual(missing, [], `fault kinds rare in the CI seeds: ${[...kinds]}`);
});

Deno.test("sim: seeds 1..50 with operator mistakes (quick stops, name clashes) hold every invariant", async () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 50; seed++) {
    const r = await runScenario({ seed, mistakes: true });
    if (r.violations.length > 0) failures.push(`seed ${seed} --mistakes: ${r.violations[0]}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("sim: seeds 1..10 hold every invariant against the HAProxy 3.2 model", async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = await runScenario({ seed, flavour: "3.2" });
    assert.deepEqual(r.violations, [], `seed ${seed} (HAProxy 3.2)`);
  }
});

for (const { seed, mistakes, faultSet, defect } of REGRESSIONS) {
  const flags = `${mistakes ? " --mistakes" : ""}${faultSet === 2 ? "" : ` --faults ${faultSet}`}`;
  Deno.test(`sim regression seed ${seed}${flags}: ${defect}`, async () => {
    const r = await runScenario({ seed, mistakes, faultSet });
    assert.deepEqual(r.violations, [], r.tail.slice(-15).join("\n"));
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
    faultSet: 2,
  });
  assert.match(String(parseSimFlags(["--faults", "3", "--seed", "1"])), /^--faults: /);
});
