/**
 * End to end: two HAProxy instances with `balance uri` + `hash-type consistent`, a sidecar each,
 * four tasks. Both map the same 40 URIs to the same tasks, and when one task departs only its
 * own URIs move, on both.
 *
 * The second HAProxy has one more static server than the first, and its sidecar starts later (it
 * learns the tasks from a solicit, in answer order): HAProxy's auto-assigned server ids then
 * differ between the two, as they do in practice, and only ids shoal derives from the task's
 * name keep the two rings identical.
 *
 * Addresses: 127.90.21.x.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { waitFor } from "../_support/wait.ts";
import {
  type HaproxyConfigOptions,
  type HaproxyFiles,
  SLOT_MODE,
  upExactly,
} from "../_support/cluster_e2e.ts";
import { type SidecarSetup, startSidecar, type UpCheck, upCount } from "../_support/e2e_setup.ts";
import { haproxyVersion } from "../_support/haproxy.ts";

const TASKS = ["task-1", "task-2", "task-3", "task-4"];
/** 40 URIs that differ in more than their last character (sdbm without avalanche clusters those). */
const KEYS = Array.from(
  { length: 40 },
  (_, i) => `/object/${(Math.imul(i + 1, 2654435761) >>> 0).toString(36)}`,
);
const HASH_LINES = ["balance uri", "hash-type consistent"];

/** URI → the task that answered it, through the frontend at `base`. */
async function mapping(base: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of KEYS) {
    const res = await fetch(new URL(key, base), {
      headers: { connection: "close" },
      signal: AbortSignal.timeout(3000),
    });
    const body = await res.text();
    equal(res.status, 200, `${base}${key}: ${body}`);
    out.set(key, body.replace(/^hello from /, "").trim());
  }
  return out;
}

/**
 * Sidecar a and its tasks first (one at a time), then sidecar b (it learns them in answer order);
 * both HAProxies must map every key alike, before and after task-2 departs.
 */
async function scenario(
  haproxy: readonly [Omit<HaproxyConfigOptions, "web">, Omit<HaproxyConfigOptions, "web">],
  up: UpCheck,
  extra: (files: HaproxyFiles) => string[] = () => [],
): Promise<void> {
  const a = await startSidecar("127.90.21.1", haproxy[0], { name: "sidecar-a", extra });
  let b: SidecarSetup | undefined;
  try {
    // One task at a time: sidecar a adds them in this order.
    const tasks = [];
    for (const [i, name] of TASKS.entries()) {
      tasks.push(await a.cluster.task({ name, host: `127.90.21.${11 + i}`, join: a.join }));
      await waitFor(
        `${name} UP behind HAProxy a`,
        () => up(a.hap, TASKS.slice(0, i + 1)),
        20_000,
      );
    }
    b = await startSidecar("127.90.21.2", haproxy[1], {
      name: "sidecar-b",
      cluster: a.cluster,
      join: a.join,
      extra,
    });
    await waitFor("four servers UP behind HAProxy b", () => up(b!.hap, TASKS), 20_000);
    const files = [a.files, b.files];
    const readers = [a.hap, b.hap];

    const before = await Promise.all(files.map((f) => mapping(f.url)));
    deepEqual(before[1], before[0], "both HAProxies map every URI to the same task");
    const used = new Set(before[0]!.values());
    ok(used.size >= 3, `the keys spread over the tasks: ${[...used]}`);

    // task-2 departs (SIGTERM): both HAProxies drop it.
    tasks[1]!.kill("SIGTERM");
    equal((await tasks[1]!.status).code, 0);
    const rest = TASKS.filter((t) => t !== "task-2");
    for (const r of readers) await waitFor("task-2 gone", () => up(r, rest), 15_000);

    const after = await Promise.all(files.map((f) => mapping(f.url)));
    deepEqual(after[1], after[0], "both HAProxies still agree after the departure");
    for (const key of KEYS) {
      const was = before[0]!.get(key)!;
      const now = after[0]!.get(key)!;
      if (was === "task-2") ok(now !== "task-2", `${key} left task-2`);
      else equal(now, was, `${key} stays on ${was}`);
    }
  } finally {
    await b?.stop();
    await a.stop();
  }
}

Deno.test("e2e: two HAProxies map the same URIs to the same tasks; a departure moves only its keys", async () => {
  await scenario([
    { backendLines: HASH_LINES },
    // A static server the first HAProxy lacks: auto-assigned ids are shifted by one here.
    { backendLines: [...HASH_LINES, "server static-spare 127.0.0.1:1 disabled"] },
  ], upExactly);
});

const { major } = await haproxyVersion();

Deno.test({
  name: "e2e: slot mode with hash-key addr-port (3.0+): both HAProxies agree whatever the slots",
  ignore: major < 3,
  async fn() {
    // Different slot counts: the same task hashes to different slots on the two HAProxies.
    const slots = (count: number) => ({
      ...SLOT_MODE,
      backendLines: [
        ...HASH_LINES,
        `${SLOT_MODE.backendLines[0]!.replace(" 1-8 ", ` 1-${count} `)} hash-key addr-port`,
      ],
    });
    await scenario(
      [slots(8), slots(13)],
      upCount,
      (files) => [`--server-state-file=${files.dir}/server-state`],
    );
  },
});
