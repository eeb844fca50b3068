/**
 * What each role loads at run time, from the module graph `deno info --json` reports: the task
 * parent is paid for once per worker in a fleet (issue 17), so nothing it does not use may be in
 * its static graph. A `node:` module pulls in the Node compatibility layer (about 6 MB a process:
 * BENCHMARKS.md, Footprint), so no role loads one until a feature that needs it is configured
 * (`node:crypto` is loaded when a keyring is built).
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";

type Dep = { specifier: string; code?: { specifier: string }; isDynamic?: boolean };
type Module = { specifier: string; dependencies?: Dep[] };

const root = new URL("../../", import.meta.url);

/** The modules `entry` loads when it is imported: runtime edges only, not types or `import()`. */
async function staticRuntimeGraph(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const modules: Module[] = JSON.parse(new TextDecoder().decode(out.stdout)).modules;
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const entryUrl = new URL(entry, root).href;
  const seen = new Set<string>();
  const stack = [entryUrl];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const dep of bySpecifier.get(at)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) stack.push(dep.code.specifier);
    }
  }
  return new Set([...seen].map((s) => s.startsWith(root.href) ? s.slice(root.href.length) : s));
}

/** The modules outside the repository: `node:`, `npm:`, `jsr:` or remote. */
const external = (graph: Set<string>) => [...graph].filter((s) => /^[a-z]+:/.test(s)).sort();

Deno.test("the task role loads no node:, npm: or jsr: module and none of the sidecar's", async () => {
  const graph = await staticRuntimeGraph("lib/roles/task.ts");
  assert(graph.has("lib/gossip/wire/_gcm.ts"), "the graph walk reaches the AES-GCM module");
  assertEquals(external(graph), []);
  const sidecarOnly = [
    "lib/roles/sidecar.ts",
    "lib/haproxy/client.ts",
    "lib/haproxy/reconciler.ts",
  ];
  assertEquals(sidecarOnly.filter((m) => graph.has(m)), []);
});

Deno.test("the sidecar role and the CLI entry load no node:, npm: or jsr: module", async () => {
  assertEquals(external(await staticRuntimeGraph("lib/roles/sidecar.ts")), []);
  const cli = await staticRuntimeGraph("main.ts");
  assertEquals(external(cli), []);
  assert(cli.has("lib/roles/mod.ts"), "the graph walk reaches the role dispatch");
  assert(!cli.has("lib/roles/task.ts") && !cli.has("lib/roles/sidecar.ts"), "roles load lazily");
});
