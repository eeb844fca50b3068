/**
 * No ambient time, randomness or timers below the composition roots (issue 15): the clock, the
 * random source and the timers travel in `deps` built by `main.ts` and the role builders, so the
 * simulation can run the same code on a virtual clock. This scans `lib/` (comments and JSDoc
 * examples left out) for
 *
 * - `systemClock` as a fallback or default (`?? systemClock`, `= systemClock`),
 * - `Date.now(`, `Math.random(`,
 * - a bare `setTimeout(` (not `clock.setTimeout`, not `globalThis.setTimeout` in a real clock),
 *
 * outside {@linkcode ALLOWED} (the real implementations and the roots).
 */

import assert from "node:assert/strict";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Where ambient time is the point: the real clock, real transports, the composition roots. */
const ALLOWED: Readonly<Record<string, string>> = {
  "lib/clock.ts": "the real clock (systemClock itself) and the seedable prng",
  "lib/gossip/deno_transport.ts": "the real UDP/TCP gossip transport",
  "lib/serf/rpc/client.ts": "the real TCP RPC client (serf's CLI protocol), used by the CLI root",
  "lib/serf/rpc/server.ts": "the real TCP RPC listener: pauses after a failed accept",
  "lib/roles/sidecar.ts": "role builder: a composition root picks the real clock",
  "lib/roles/task.ts": "role builder: a composition root picks the real clock",
};

const RULES: readonly { name: string; re: RegExp }[] = [
  { name: "systemClock as a default", re: /(?:\?\?|[^=!<>]=)\s*systemClock\b/ },
  { name: "Date.now()", re: /\bDate\.now\(/ },
  { name: "Math.random()", re: /\bMath\.random\(/ },
  { name: "bare setTimeout()", re: /(?<![.\w])setTimeout\(/ },
];

/** Source text without comments (JSDoc examples included) and without string contents. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => `${m[0]}${" ".repeat(m.length - 2)}${m[0]}`)
    .replace(/\/\/.*$/gm, "");
}

/** The ambient uses in `source`, as `line: rule`. */
function ambientUses(source: string): string[] {
  const out: string[] = [];
  code(source).split("\n").forEach((line, i) => {
    for (const r of RULES) if (r.re.test(line)) out.push(`${i + 1}: ${r.name}`);
  });
  return out;
}

function libFiles(dir = `${ROOT}/lib`): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...libFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p.slice(ROOT.length + 1));
  }
  return out.sort();
}

Deno.test("ambientUses() finds defaults and ambient calls, not comments, strings or clock methods", () => {
  const bad = [
    "function f(clock: Clock = systemClock) {}",
    "const c = o.clock ?? systemClock;",
    "const t = Date.now();",
    "const r = Math.random();",
    "setTimeout(() => {}, 5);",
  ];
  assert.deepEqual(bad.map((l) => ambientUses(l).length), [1, 1, 1, 1, 1]);
  const fine = [
    "/** @default systemClock */",
    "// Date.now() would be ambient",
    "/**\n * ```ts\n * setTimeout(() => {}, 1);\n * ```\n */",
    'log.info("Math.random()");',
    "clock.setTimeout(() => {}, 5);",
    "const clock = deps.clock;",
    "if (clock === systemClock) {}",
    "export const systemClock: Clock = {",
  ];
  assert.deepEqual(fine.flatMap(ambientUses), []);
});

Deno.test("lib/ uses no ambient time, randomness or timers below the composition roots", () => {
  const found: string[] = [];
  for (const f of libFiles()) {
    if (f in ALLOWED) continue;
    const uses = ambientUses(Deno.readTextFileSync(`${ROOT}/${f}`));
    if (uses.length === 0) continue;
    found.push(...uses.map((u) => `${f}:${u}`));
  }
  assert.deepEqual(found, [], "inject a Clock/Prng from the composition root instead");
  for (const f of Object.keys(ALLOWED)) assert.ok(libFiles().includes(f), `${f} is gone`);
});
