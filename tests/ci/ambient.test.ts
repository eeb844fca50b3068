/**
 * No ambient time, randomness, timers or host access below the composition roots (issue 15): the
 * clock, the random source, the timers, the process (environment, signals) and the machine
 * (sockets, DNS, files, HTTP) travel in `deps` built by `main.ts` and the role builders, so the
 * simulation can run the same code on a virtual clock and network. This scans `lib/` (comments,
 * JSDoc examples and string contents left out) for
 *
 * - `systemClock` as a fallback or default (`?? systemClock`, `= systemClock`),
 * - `Date.now`, `Math.random`, `performance.now`: called, or passed on as a value (a default such
 *   as `opts.nowMs ?? Date.now` is as ambient as a call),
 * - `new Date()` without an argument (the current time),
 * - a bare `setTimeout(` (not `clock.setTimeout`, not `globalThis.setTimeout` in a real clock),
 *
 * outside {@linkcode ALLOWED} (the real implementations and the roots), and for
 *
 * - `Deno.<value>`: a call or a read (`Deno.env`, `Deno.pid`, `Deno.connect(`, `new Deno.Command`,
 *   `Deno.UnsafePointer.of(`), but not a type (`Deno.Conn`, `Deno.Signal[]`) and not
 *   `Deno.errors.*`: those are the error classes, used in `instanceof` to classify a failure
 *   (the simulated network throws the same classes), they touch nothing outside,
 * - the global `fetch` (called or passed on), not `deps.fetch(`, a `fetch:` key or `typeof fetch`,
 * - `globalThis.Deno`, `globalThis.fetch`,
 *
 * outside {@linkcode HOST_ALLOWED} (the real adapters and the roots).
 */

import assert from "node:assert/strict";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Where ambient time is the point: the real clock, real transports, the composition roots. */
const ALLOWED: Readonly<Record<string, string>> = {
  "lib/clock.ts": "the real clock (systemClock itself) and the seedable prng",
  "lib/gossip/deno_transport.ts": "the real UDP/TCP gossip transport",
  "lib/serf/rpc/client.ts": "the real TCP RPC client (serf's CLI protocol), used by the CLI root",
  "lib/serf/rpc/server.ts": "the real TCP RPC listener: pauses after a failed accept",
  "lib/mod.ts": "createNode(), an embedder's composition root: the real clock and Math.random",
  "lib/roles/agent.ts": "role builder of `shoal agent`: a composition root passes Math.random",
  "lib/roles/gossip_runtime_host.ts": "the real GossipHost: its wall clock (Date.now)",
  "lib/roles/sidecar.ts": "role builder: a composition root picks the real clock",
  "lib/roles/task.ts": "role builder: a composition root picks the real clock",
};

/** Where reaching for the host is the point: each real adapter, and the roots that pass them. */
const HOST_ALLOWED: Readonly<Record<string, string>> = {
  "lib/gossip/deno_transport.ts": "the real UDP/TCP gossip transport",
  "lib/haproxy/state_file.ts": "the real server-state file (atomic write and rename)",
  "lib/haproxy/transport.ts": "the real UNIX socket to HAProxy's runtime API",
  "lib/metrics/server.ts": "the real HTTP server of /metrics and /healthz (Deno.serve)",
  "lib/roles/gossip_runtime_host.ts": "the real GossipHost: DNS, interfaces, env, metadata fetch",
  "lib/roles/mod.ts": "the role dispatcher main.ts calls: `shoal version` prints the runtime's",
  "lib/roles/role_log.ts": "the role roots' shared logger: lines on the real stderr",
  "lib/roles/sidecar.ts": "role builder: a composition root decides PID-1 reaping",
  "lib/roles/task.ts": "role builder: a composition root passes env and metadata fetch",
  "lib/roles/task/join_targets.ts": "the real SRV resolver (`denoSrvResolver`), the root's default",
  "lib/serf/rpc/client.ts": "the real TCP RPC client (serf's CLI protocol)",
  "lib/serf/rpc/server.ts": "the real TCP RPC listener; `stats` reports the real platform",
  "lib/serf/snapshot_file.ts": "the real snapshot file",
  "lib/supervisor/_libc.ts": "the real libc (FFI) under the spawner and reaper",
  "lib/supervisor/http_probe.ts": "the real TCP connection of an http readiness/health probe",
  "lib/supervisor/notify.ts": "the real sd_notify datagram socket in a temporary directory",
  "lib/supervisor/probes.ts": "the real TCP connection of a tcp readiness/health probe",
  "lib/supervisor/process_host.ts": "the real ProcessHost: env, signals, OS, PATH lookups, exit",
  "lib/supervisor/reaper.ts": "the real SIGCHLD listener and waitpid; reaps all when PID 1",
};

const RULES: readonly { name: string; re: RegExp }[] = [
  { name: "systemClock as a default", re: /(?:\?\?|[^=!<>]=)\s*systemClock\b/ },
  { name: "Date.now", re: /\bDate\.now\b/ },
  { name: "Math.random", re: /\bMath\.random\b/ },
  { name: "performance.now", re: /\bperformance\.now\b/ },
  { name: "new Date()", re: /\bnew\s+Date\s*\(\s*\)/ },
  { name: "bare setTimeout()", re: /(?<![.\w])setTimeout\(/ },
];

const HOST_RULES: readonly { name: string; re: RegExp }[] = [
  {
    name: "Deno.*",
    re: /(?<![\w$.])Deno\.(?:(?!errors\b)[a-z]\w*|[A-Z]\w*\s*[.(])|\bnew\s+Deno\.(?!errors\.)/,
  },
  { name: "global fetch", re: /(?<![\w$.]|typeof\s+)fetch\b(?!\s*\??:)/ },
  { name: "globalThis.Deno/fetch", re: /\bglobalThis\.(?:Deno|fetch)\b/ },
];

/** Source text without comments (JSDoc examples included) and without string contents. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => `${m[0]}${" ".repeat(m.length - 2)}${m[0]}`)
    .replace(/\/\/.*$/gm, "");
}

/** The uses in `source` that `rules` find, as `line: rule`. */
function usesBy(rules: typeof RULES, source: string): string[] {
  const out: string[] = [];
  code(source).split("\n").forEach((line, i) => {
    for (const r of rules) if (r.re.test(line)) out.push(`${i + 1}: ${r.name}`);
  });
  return out;
}

/** The ambient time, randomness and timer uses in `source`. */
const ambientUses = (source: string) => usesBy(RULES, source);
/** The host uses (`Deno.*`, `fetch`) in `source`. */
const hostUses = (source: string) => usesBy(HOST_RULES, source);

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
    "nowMs: options.nowMs ?? Date.now,",
    "this.#nowMs = opts.nowMs ?? Date.now;",
    "const prng: Prng = inject.prng ?? Math.random;",
    "const t0 = performance.now();",
    "const nowMs = () => performance.now();",
    "const stamp = new Date().toISOString();",
  ];
  assert.deepEqual(bad.map((l) => ambientUses(l).length), bad.map(() => 1));
  const fine = [
    "/** @default systemClock */",
    "// Date.now() would be ambient",
    "/**\n * ```ts\n * setTimeout(() => {}, 1);\n * ```\n */",
    'log.info("Math.random()");',
    "clock.setTimeout(() => {}, 5);",
    "const clock = deps.clock;",
    "if (clock === systemClock) {}",
    "export const systemClock: Clock = {",
    "ts: new Date(r.timeMs).toISOString(),",
    "/** @default Date.now */",
    "const d = Date.parse(text);",
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

Deno.test("hostUses() finds Deno values and the global fetch, not types, errors, comments or strings", () => {
  const bad = [
    "const env = o.env ?? Deno.env.toObject();",
    "Deno.addSignalListener(sig, forward);",
    "if (Deno.pid === 1) reapAll();",
    "const conn = await Deno.connect({ hostname, port });",
    "const ifs = Deno.networkInterfaces();",
    'const ips = await Deno.resolveDns(name, "A");',
    "const text = await Deno.readTextFile(path);",
    "const output = options.output ?? Deno.stderr;",
    'if (Deno.build.os !== "linux") return argv;',
    'const cmd = new Deno.Command("sh", { args });',
    "const p = Deno.UnsafePointer.of(buf);",
    "const res = await fetch(url);",
    "chooseAdvertise(cfg, { env, fetch, interfaces });",
    "const f = globalThis.fetch;",
    "const d = globalThis.Deno;",
  ];
  assert.deepEqual(bad.map((l) => hostUses(l).length), bad.map(() => 1));
  const fine = [
    "let conn: Deno.Conn | undefined;",
    "readonly #forwarders: [Deno.Signal, () => void][] = [];",
    'export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];',
    "function f(l: Deno.Listener<Deno.Conn, Deno.NetAddr>): void {}",
    "if (err instanceof Deno.errors.NotFound) return false;",
    'throw new Deno.errors.ConnectionRefused("refused");',
    "/** Where lines go. @default Deno.stderr */",
    "// Deno.exit(1) would end the simulation",
    "/**\n * ```ts\n * const r = await fetch(url);\n * ```\n */",
    'log.info("Deno.env.get(\\"X\\")");',
    "const res = await deps.fetch(url, { signal });",
    "export interface Deps { fetch: typeof fetch; fetch2?: typeof fetch }",
    "const d = { fetch: stubFetch };",
    'host.addSignalListener("SIGTERM", stop);',
    "const denoSignals = host.env();",
  ];
  assert.deepEqual(fine.flatMap(hostUses), []);
});

Deno.test("lib/ reaches for Deno.* and fetch only in the real adapters and the roots", () => {
  const files = libFiles();
  const found: string[] = [];
  for (const f of files) {
    if (f in HOST_ALLOWED) continue;
    found.push(...hostUses(Deno.readTextFileSync(`${ROOT}/${f}`)).map((u) => `${f}:${u}`));
  }
  assert.deepEqual(
    found,
    [],
    "take the host from the composition root (a ProcessHost, GossipHost)",
  );
  for (const f of Object.keys(HOST_ALLOWED)) {
    assert.ok(files.includes(f), `${f} is gone`);
    const uses = hostUses(Deno.readTextFileSync(`${ROOT}/${f}`));
    assert.ok(uses.length > 0, `${f} no longer reaches for the host: drop it from HOST_ALLOWED`);
  }
});
