/**
 * The simulation catches deliberately injected bugs: for each mutant of `world/mutants.ts`, a
 * seed among the first 50 (issue 15's bar) reports a violation, and the same seed passes without
 * the mutant.
 */

import assert from "node:assert/strict";
import { MUTANTS, withMutant } from "./world/mutants.ts";
import { runScenario, type ScenarioResult } from "./world/scenario.ts";

/** Issue 15's bar: each injected bug is reported within the first 50 seeds (of CI's 100). */
const SEEDS = 50;

for (const mutant of MUTANTS) {
  // Name clashes are operator mistakes: only the `mistakes` schedule makes them.
  const mistakes = mutant === "name-clash";
  Deno.test(`sim catches the injected bug "${mutant}" within ${SEEDS} seeds`, async () => {
    let caught: ScenarioResult | undefined;
    for (let seed = 1; seed <= SEEDS && !caught; seed++) {
      const r = await withMutant(mutant, () => runScenario({ seed, mistakes }));
      if (
        r.violations.length > 0 && (await runScenario({ seed, mistakes })).violations.length === 0
      ) {
        caught = r;
      }
    }
    assert.ok(caught, `no violation in ${SEEDS} seeds with "${mutant}" alone`);
    const clean = await runScenario({ seed: caught.seed, mistakes });
    assert.deepEqual(clean.violations, [], `seed ${caught.seed} fails without the mutant too`);
    console.log(`"${mutant}": seed ${caught.seed}: ${caught.violations[0]}`);
  });
}
