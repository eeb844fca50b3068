import assert from "node:assert/strict";
import { listTestFiles, PEER_MARKERS, peerTests, relativeImports } from "../../.ci/peer_tests.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

function readRepo(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(`${ROOT}/${path}`);
  } catch {
    return undefined;
  }
}

Deno.test("relativeImports() resolves static, re-export and dynamic relative imports", () => {
  const source = [
    'import { a } from "../_support/haproxy.ts";',
    'import type { B } from "./b.ts";',
    'export { c } from "../../lib/c.ts";',
    'import assert from "node:assert/strict";',
    'const d = await import("./d.ts");',
  ].join("\n");
  assert.deepEqual(relativeImports("tests/x/y.test.ts", source).sort(), [
    "lib/c.ts",
    "tests/_support/haproxy.ts",
    "tests/x/b.ts",
    "tests/x/d.ts",
  ]);
});

Deno.test("peerTests() follows imports transitively, through cycles, and leaves out interop", () => {
  const files: Record<string, string> = {
    "tests/a.test.ts": 'import { x } from "./_support/launch.ts";',
    "tests/_support/launch.ts": `import { y } from "./cycle.ts";\n${PEER_MARKERS.haproxy}();`,
    "tests/_support/cycle.ts": 'import { z } from "./launch.ts";',
    "tests/b.test.ts": 'import { y } from "./_support/cycle.ts";',
    "tests/c.test.ts": 'import { q } from "../lib/q.ts";',
    "tests/interop/d.test.ts": 'import { x } from "../_support/launch.ts";',
  };
  const tests = Object.keys(files).filter((f) => f.endsWith(".test.ts"));
  const found = peerTests("haproxy", tests, (p) => files[p]);
  assert.deepEqual(found, ["tests/a.test.ts", "tests/b.test.ts"]);
  assert.deepEqual(peerTests("serf", tests, (p) => files[p]), []);
});

Deno.test("peerTests() on this repository: peer tests in, pure ones out", () => {
  const all = listTestFiles(ROOT);
  const haproxy = peerTests("haproxy", all, readRepo);
  const serf = peerTests("serf", all, readRepo);
  for (const f of ["tests/haproxy/client.test.ts", "tests/e2e/traffic.test.ts"]) {
    assert.ok(haproxy.includes(f), f);
  }
  for (const f of ["tests/serf/gossip_interop.test.ts", "tests/roles/sidecar_process.test.ts"]) {
    assert.ok(serf.includes(f), f);
  }
  // The end-to-end tests run shoal on both sides of gossip: HAProxy yes, serf no.
  assert.ok(!serf.includes("tests/e2e/traffic.test.ts"));
  for (
    const f of [
      "tests/haproxy/plan.test.ts",
      "tests/serf/members.test.ts",
      "tests/ci/peer_tests.test.ts",
    ]
  ) {
    assert.ok(!haproxy.includes(f) && !serf.includes(f), f);
  }
});

Deno.test("tests start haproxy and serf only through the binary helpers", () => {
  // A literal spawn would run Debian's peer in every matrix run and hide the test from the reruns.
  const literal = [
    /Deno\.Command\(\s*["'`](haproxy|serf)["'`]/,
    /["'`]--["'`],\s*["'`]haproxy["'`]/,
    /exec (haproxy|serf) /,
    /`(haproxy|serf) [a-z-]+ -/,
  ];
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && path !== "tests/bench") walk(path);
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      readRepo(path)!.split("\n").forEach((line, i) => {
        if (/^\s*(\*|\/\/|\/\*)/.test(line) || /\bassert\./.test(line)) return; // prose, expectations
        if (literal.some((re) => re.test(line))) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
      });
    }
  };
  walk("tests");
  assert.deepEqual(offenders, []);
});
