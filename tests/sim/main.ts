/**
 * `deno task sim`: runs the whole-system simulation.
 *
 * - `deno task sim --seed S` runs one seed and prints `seed=S ... hash=<hex>` (the hash of the
 *   event trace: the same seed prints the same hash on any machine).
 * - `deno task sim --seeds N [--from K]` runs seeds K..K+N-1 and prints each failing seed with
 *   its violations and the end of its trace.
 *
 * Other flags: `--sidecars N` (2), `--tasks N` (4), `--chaos SECONDS` (60), `--haproxy 2.6|3.2`,
 * `--trace` (print the whole trace of a single seed), `--faults 1|2` (the fault set, 2; 1 for
 * regression seeds recorded before set 2), `--mutant NAME` (run with an injected bug of
 * `world/mutants.ts`), `--mistakes` (operator mistakes too: quick stops, name clashes). Exit status 0 when every seed passed, 1 when
 * one failed, 2 on a bad flag.
 *
 * @module
 */

import type { HaproxyFlavour } from "./haproxy/model.ts";
import { type Mutant, MUTANTS, withMutant } from "./world/mutants.ts";
import { runScenario, type ScenarioOptions, type ScenarioResult } from "./world/scenario.ts";

interface Flags {
  seed?: number;
  seeds?: number;
  from: number;
  sidecars: number;
  tasks: number;
  chaosS: number;
  flavour: HaproxyFlavour;
  trace: boolean;
  mistakes: boolean;
  faultSet: 1 | 2;
  mutant?: Mutant;
}

const INTEGER_FLAGS = {
  "--seed": "seed",
  "--seeds": "seeds",
  "--from": "from",
  "--sidecars": "sidecars",
  "--tasks": "tasks",
  "--chaos": "chaosS",
} as const;

/** Parses the flags; a string is the one-line error for a bad one. */
export function parseSimFlags(args: readonly string[]): Flags | string {
  const f: Flags = {
    from: 1,
    sidecars: 2,
    tasks: 4,
    chaosS: 60,
    flavour: "2.6",
    trace: false,
    mistakes: false,
    faultSet: 2,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--trace") {
      f.trace = true;
    } else if (a === "--mistakes") {
      f.mistakes = true;
    } else if (a === "--mutant") {
      const v = args[++i] as Mutant;
      if (!MUTANTS.includes(v)) return `--mutant: expected one of ${MUTANTS.join(", ")}`;
      f.mutant = v;
    } else if (a === "--faults") {
      const v = args[++i];
      if (v !== "1" && v !== "2") return `--faults: expected 1 or 2, got ${v ?? "nothing"}`;
      f.faultSet = v === "1" ? 1 : 2;
    } else if (a === "--haproxy") {
      const v = args[++i];
      if (v !== "2.6" && v !== "3.2") {
        return `--haproxy: expected 2.6 or 3.2, got ${v ?? "nothing"}`;
      }
      f.flavour = v;
    } else if (a in INTEGER_FLAGS) {
      const v = args[++i];
      const n = Number(v);
      if (v === undefined || !Number.isSafeInteger(n) || n < 0) {
        return `${a}: expected a non-negative integer, got ${v ?? "nothing"}`;
      }
      f[INTEGER_FLAGS[a as keyof typeof INTEGER_FLAGS]] = n;
    } else {
      return `${a}: unknown flag (use --seed S or --seeds N [--from K])`;
    }
  }
  if ((f.seed === undefined) === (f.seeds === undefined)) {
    return "--seed or --seeds: give exactly one";
  }
  if (f.sidecars < 1 || f.tasks < 1) return "--sidecars/--tasks: at least 1";
  return f;
}

/** One line describing a run. */
export function summary(r: ScenarioResult, o: Pick<Flags, "sidecars" | "tasks">): string {
  return `seed=${r.seed} sidecars=${o.sidecars} tasks=${o.tasks} virtual=${r.virtualMs / 1000}s ` +
    `faults=${r.faults} requests=${r.load.requests} routed_to_dead=${r.load.routedToDead} ` +
    `events=${r.traceLines} violations=${r.violations.length} hash=${r.hash}`;
}

async function main(args: string[]): Promise<number> {
  const f = parseSimFlags(args);
  if (typeof f === "string") {
    console.error(`sim: ${f}`);
    return 2;
  }
  const run = (o: ScenarioOptions) =>
    f.mutant ? withMutant(f.mutant, () => runScenario(o)) : runScenario(o);
  const options = (seed: number): ScenarioOptions => ({
    seed,
    sidecars: f.sidecars,
    tasks: f.tasks,
    chaosMs: f.chaosS * 1000,
    flavour: f.flavour,
    keepTrace: f.trace,
    mistakes: f.mistakes,
    faultSet: f.faultSet,
  });
  if (f.seed !== undefined) {
    const r = await run(options(f.seed));
    if (f.trace) console.log(r.trace!.join("\n"));
    console.log(summary(r, f));
    for (const v of r.violations) console.log(`  violation: ${v}`);
    if (r.violations.length > 0) console.log(r.tail.map((l) => `  | ${l}`).join("\n"));
    return r.violations.length > 0 ? 1 : 0;
  }
  const failed: number[] = [];
  const started = performance.now();
  for (let seed = f.from; seed < f.from + f.seeds!; seed++) {
    const r = await run(options(seed));
    if (r.violations.length === 0) continue;
    failed.push(seed);
    console.log(summary(r, f));
    for (const v of r.violations.slice(0, 3)) console.log(`  violation: ${v}`);
    console.log(r.tail.slice(-15).map((l) => `  | ${l}`).join("\n"));
    const again = [
      f.mistakes ? " --mistakes" : "",
      f.flavour === "2.6" ? "" : ` --haproxy ${f.flavour}`,
      f.faultSet === 2 ? "" : ` --faults ${f.faultSet}`,
    ];
    console.log(`  replay: deno task sim --seed ${seed}${again.join("")}`);
  }
  const s = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `seeds ${f.from}..${f.from + f.seeds! - 1}: ${f.seeds! - failed.length} passed, ` +
      `${failed.length} failed${failed.length ? ` (${failed.join(" ")})` : ""} in ${s} s`,
  );
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
