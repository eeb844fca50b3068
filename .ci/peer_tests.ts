/**
 * Which test files need HAProxy, and which need serf: `.ci/run` reruns those on the newer peers.
 *
 *   deno run --allow-read .ci/peer_tests.ts haproxy|serf
 *
 * prints one test file a line. A test file depends on a peer when it, or a module it imports
 * (static relative imports, followed transitively), calls that peer's binary helper (the
 * function `haproxyBinary` in tests/_support/haproxy.ts, `serfBinary` in tests/_support/serf_cli.ts;
 * this file names them without the call, so it marks nothing itself).
 * Every test names the binary through those helpers (tests/ci/peer_tests.test.ts refuses a spawn
 * of a literal `"haproxy"` or `"serf"`), so a new HAProxy test is in the matrix without a list to
 * update. The rule errs on the side of running: a file that imports only `waitFor` from
 * haproxy.ts is rerun too (cheap). tests/interop/ (the Go shoal) and tests/bench/ are left out.
 *
 * @module
 */

/** The peers with a binary helper, and that helper: a module calling it starts the peer. */
export const PEER_MARKERS = { haproxy: "haproxyBinary", serf: "serfBinary" } as const;

/** A peer `.ci/run` reruns tests against. */
export type Peer = keyof typeof PEER_MARKERS;

const LEFT_OUT = ["tests/interop/", "tests/bench/"];
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** The relative modules `source` (at `path`) imports, as paths resolved against `path`. */
export function relativeImports(path: string, source: string): string[] {
  const base = new URL(path, "file:///");
  const found: string[] = [];
  for (const re of [IMPORT, DYNAMIC_IMPORT]) {
    for (const m of source.matchAll(re)) found.push(new URL(m[1]!, base).pathname.slice(1));
  }
  return found;
}

/**
 * The test files under `root`'s tests/ that depend on `peer`, sorted, as paths relative to `root`
 * (`readText` reads a path relative to `root`, or returns undefined when it is missing).
 */
export function peerTests(
  peer: Peer,
  testFiles: readonly string[],
  readText: (path: string) => string | undefined,
): string[] {
  const call = `${PEER_MARKERS[peer]}()`;
  const memo = new Map<string, boolean>();
  const depends = (path: string, visiting: Set<string>): boolean => {
    const known = memo.get(path);
    if (known !== undefined) return known;
    if (visiting.has(path)) return false; // an import cycle: decided by the outer visit
    visiting.add(path);
    const source = readText(path) ?? "";
    const result = source.includes(call) ||
      relativeImports(path, source).some((dep) => depends(dep, visiting));
    visiting.delete(path);
    memo.set(path, result);
    return result;
  };
  return testFiles
    .filter((f) => !LEFT_OUT.some((dir) => f.startsWith(dir)))
    .filter((f) => depends(f, new Set()))
    .sort();
}

/** Every `*.test.ts` under `dir` (relative to `root`), as paths relative to `root`. */
export function listTestFiles(root: string, dir = "tests"): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(`${root}/${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...listTestFiles(root, path));
    else if (entry.isFile && entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

if (import.meta.main) {
  const peer = Deno.args[0];
  if (peer !== "haproxy" && peer !== "serf") {
    console.error("usage: peer_tests.ts haproxy|serf");
    Deno.exit(2);
  }
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(`${root}/${path}`);
    } catch {
      return undefined;
    }
  };
  for (const file of peerTests(peer, listTestFiles(root), read)) console.log(file);
}
