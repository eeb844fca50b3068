/**
 * The operator's surface of real processes: every role's `/metrics` passes `promtool check
 * metrics`, carries `shoal_build_info` and agrees with itself; the shipped alert rules pass
 * `promtool check rules`; the Grafana dashboard queries only metrics shoal exports; and every JSON
 * log line of the sidecar, the task and the agent follows the one schema.
 *
 * Addresses: 127.90.41.x.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parsePromText, type PromFamily } from "../_support/prom_text.ts";
import { waitFor } from "../_support/wait.ts";
import { startShoal } from "../_support/shoal_process.ts";
import { metricsAddr } from "../_support/cluster_e2e.ts";
import { startSidecar, startTasksUp } from "../_support/e2e_setup.ts";

const HOST = "127.90.41.1";
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
/** Metrics the alert rules name that another change adds (`shoal_task_registered`). */
const PENDING_METRICS = new Set(["shoal_task_registered"]);

async function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("promtool", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

async function scrape(addr: string): Promise<string> {
  const res = await fetch(`http://${addr}/metrics`);
  equal(res.status, 200);
  return await res.text();
}

function value(f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}) {
  for (const family of f.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) return s.value;
    }
  }
  return undefined;
}

/** Metric names in a PromQL expression, histogram series mapped to their family. */
function metricNames(expr: string): string[] {
  const names = expr.match(/\bshoal_[a-z0-9_]+/g) ?? [];
  return names.map((n) =>
    n.replace(/_(bucket|sum|count)$/, (m) => (n.endsWith("_total") ? m : ""))
  );
}

/** Every PromQL expression of a Grafana dashboard (panel targets and templating queries). */
function dashboardExprs(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if ((k === "expr" || k === "query") && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(dashboard);
  return out.filter((e) => e.includes("shoal_"));
}

const KEY = /^[a-z][a-z0-9_]*$/;
const EVENT = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** One JSON log line against the schema (README, Operations: Logs). */
function checkSchema(node: string, line: Record<string, unknown>): void {
  const where = `${node}: ${JSON.stringify(line)}`;
  ok(["debug", "info", "warn", "error"].includes(String(line.level)), `level, ${where}`);
  ok(!Number.isNaN(Date.parse(String(line.ts))), `ts, ${where}`);
  ok(EVENT.test(String(line.event)), `event name, ${where}`);
  equal(line.node, node, `node is always this process's name, ${where}`);
  for (const [key, value] of Object.entries(line)) {
    ok(KEY.test(key), `snake_case key ${key}, ${where}`);
    ok(key !== "ms", `a duration says its unit, ${where}`);
    if (typeof value !== "number") continue;
    if (/_(ms|seconds|sec)$/.test(key)) ok(Number.isInteger(value), `integer ${key}, ${where}`);
    ok(Math.abs(value * 1000 - Math.round(value * 1000)) < 1e-6, `no float noise, ${where}`);
  }
}

Deno.test("every role's /metrics passes promtool, alerts and dashboard use exported metrics, logs follow one schema", async () => {
  const setup = await startSidecar(HOST, {}, {
    name: "obs-sidecar",
    extra: ["--solicit-interval=1s"],
  });
  const { cluster, join, sidecar } = setup;
  try {
    const task = (await startTasksUp(setup, {
      names: ["obs-task"],
      hostOf: () => "127.90.41.11",
      upWithinMs: 20_000,
    }))[0]!;
    const agent = cluster.track(startShoal([
      "agent",
      "--node=obs-agent",
      "--bind=127.90.41.21:0",
      "--rpc-addr=",
      "--metrics-addr=127.90.41.21:0",
      `--join=${join[0]}`,
    ]));
    await agent.waitForLog("agent.running");
    const addrs = {
      sidecar: await metricsAddr(sidecar),
      task: await metricsAddr(task),
      agent: await metricsAddr(agent),
    };
    const sc = await waitFor(
      "the sidecar sees the task's server UP and three members",
      async () => {
        const f = parsePromText(await scrape(addrs.sidecar));
        const up = value(f, "shoal_sidecar_server_checks", { backend: "shoal", check: "up" });
        const alive = value(f, "shoal_gossip_members", { status: "alive" });
        return up === 1 && alive === 3 ? f : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

    const exported = new Set<string>();
    for (const [role, addr] of Object.entries(addrs)) {
      const text = await scrape(addr);
      const lint = await promtool(["check", "metrics"], text);
      equal(lint.code, 0, `promtool check metrics on the ${role}'s /metrics:\n${lint.out}`);
      const families = parsePromText(text);
      for (const name of families.keys()) exported.add(name);
      const info = families.get("shoal_build_info")?.samples ?? [];
      equal(info.length, 1, `${role}: one shoal_build_info`);
      equal(info[0]!.labels.get("role"), role);
      equal(info[0]!.labels.get("deno"), Deno.version.deno);
      ok(/^\d+\.\d+\.\d+/.test(info[0]!.labels.get("version") ?? ""), `${role} version`);
    }

    // The sidecar waited for its supervised HAProxy to start: that is not a connection error.
    equal(
      value(sc, "shoal_sidecar_haproxy_command_errors_total", { kind: "connection" }),
      undefined,
    );
    // A task's announce and the adds that follow are ordinary work, not drift.
    equal(value(sc, "shoal_sidecar_drift_corrections_total"), undefined);
    deepStrictEqual(
      ["alive", "failed", "left"].map((status) => value(sc, "shoal_gossip_members", { status })),
      [3, 0, 0],
    );
    // Counters and histograms of queries agree, per query.
    for (const query of ["announce", "depart", "solicit"]) {
      const count = value(sc, "shoal_sidecar_query_duration_seconds_count", { query }) ?? 0;
      const results = sc.get("shoal_sidecar_queries_total")?.samples
        .filter((s) => s.labels.get("query") === query)
        .reduce((sum, s) => sum + s.value, 0) ?? 0;
      equal(results, count, `${query}: queries_total sums to the histogram's _count`);
    }
    ok((value(sc, "shoal_sidecar_queries_total", { query: "announce" }) ?? 0) >= 1);

    const rules = await promtool(["check", "rules", `${EXAMPLES}prometheus/alerts.yml`]);
    equal(rules.code, 0, rules.out);
    const alertText = await Deno.readTextFile(`${EXAMPLES}prometheus/alerts.yml`);
    const alertExprs = [...alertText.matchAll(/expr: (?:>-\n)?([\s\S]*?)\n\s+(?:for|labels):/g)]
      .map((m) => m[1]!);
    ok(alertExprs.length >= 5, `${alertExprs.length} alert expressions`);

    const dashboard = JSON.parse(
      await Deno.readTextFile(`${EXAMPLES}grafana/shoal-dashboard.json`),
    );
    const exprs = dashboardExprs(dashboard);
    ok(exprs.length >= 10, `${exprs.length} dashboard queries`);
    // Every dashboard query is valid PromQL: promtool parses it as a recording rule.
    const asRules = exprs.filter((e) => !e.startsWith("label_values(")).map((e, i) =>
      `      - record: shoal:dashboard_${i}\n        expr: ${
        JSON.stringify(e.replaceAll("$role", ".*"))
      }`
    );
    const rulesFile = await Deno.makeTempFile({ suffix: ".yml" });
    try {
      await Deno.writeTextFile(
        rulesFile,
        `groups:\n  - name: d\n    rules:\n${asRules.join("\n")}\n`,
      );
      const parsed = await promtool(["check", "rules", rulesFile]);
      equal(parsed.code, 0, parsed.out);
    } finally {
      await Deno.remove(rulesFile);
    }
    const unknown = [...exprs, ...alertExprs].flatMap(metricNames)
      .filter((n) => !exported.has(n) && !PENDING_METRICS.has(n));
    deepStrictEqual([...new Set(unknown)], [], "queries name only metrics shoal exports");

    // Logs: a routine solicit round, then the task departs and leaves.
    await sidecar.waitForLog("sidecar.solicit", (l) => l.reason === "interval", 10_000);
    task.kill("SIGTERM");
    await task.status;
    await sidecar.waitForLog("member.left", (l) => l.member === "obs-task", 10_000);
    const procs = { "obs-sidecar": sidecar, "obs-task": task, "obs-agent": agent };
    for (const [node, proc] of Object.entries(procs)) {
      const lines = proc.logs();
      ok(lines.length > 3, `${node} logged ${lines.length} JSON lines`);
      for (const line of lines) checkSchema(node, line);
    }
    const routine = sidecar.logs().filter((l) =>
      l.event === "sidecar.solicit" && l.reason === "interval"
    );
    ok(
      routine.length > 0 && routine.every((l) => l.level === "debug"),
      "routine solicits are debug",
    );
    const left = sidecar.logs().find((l) => l.event === "member.left" && l.member === "obs-task")!;
    equal(left.node, "obs-sidecar", "node is this process; the member it is about is in member");
    const waits = sidecar.logs().filter((l) => l.event === "haproxy.waiting");
    ok(
      waits.length <= 2,
      `the wait for HAProxy is logged once, then rate-limited: ${waits.length}`,
    );
    if (waits[0]) {
      equal(waits[0].level, "info", "HAProxy starting beside us is no warning");
      ok(String(waits[0].hint).includes("'stats socket' path"), JSON.stringify(waits[0]));
    }
  } finally {
    await setup.stop();
  }
});
