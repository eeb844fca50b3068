import assert from "node:assert/strict";
import { MetricDefinitionError, METRICS_DROPPED_TOTAL, Registry } from "../../lib/metrics/mod.ts";
import { parsePromText } from "../_support/prom_text.ts";

Deno.test("Registry.render() produces the exact text format (golden)", () => {
  const r = new Registry();
  const c = r.counter({ name: "jobs_total", help: "Jobs done.", labelNames: ["queue", "result"] });
  const g = r.gauge({ name: "temperature_celsius", help: "Current \\ temperature\nin C." });
  const h = r.histogram({ name: "rpc_seconds", help: "RPC latency.", buckets: [0.1, 1] });
  c.inc({ result: "ok", queue: "b" });
  c.inc({ queue: "a", result: "ok" }, 2.5);
  c.inc({ queue: "a", result: 'say "no"\n' });
  g.set(21.5);
  g.dec(0.5);
  h.observe(0.05);
  h.observe(0.1);
  h.observe(3);
  assert.equal(
    r.render(),
    `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{queue="a",result="ok"} 2.5
jobs_total{queue="a",result="say \\"no\\"\\n"} 1
jobs_total{queue="b",result="ok"} 1
# HELP temperature_celsius Current \\\\ temperature\\nin C.
# TYPE temperature_celsius gauge
temperature_celsius 21
# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.1"} 2
rpc_seconds_bucket{le="1"} 2
rpc_seconds_bucket{le="+Inf"} 3
rpc_seconds_sum 3.15
rpc_seconds_count 3
# HELP shoal_metrics_dropped_total Samples not recorded or not exposed, by metric and reason.
# TYPE shoal_metrics_dropped_total counter
`,
  );
});

Deno.test("Registry.render() output parses, and label values round-trip through escaping", () => {
  const r = new Registry();
  const g = r.gauge({ name: "node_up", help: "Nodes.", labelNames: ["node"] });
  const nasty = ['a"b', "c\\d", "e\nf", "} 1\nfake 2", "\\n"];
  nasty.forEach((node, i) => g.set({ node }, i));
  const families = parsePromText(r.render());
  const samples = families.get("node_up")!.samples;
  assert.deepEqual(
    samples.map((s) => [s.labels.get("node"), s.value]).sort((a, b) => Number(a[1]) - Number(b[1])),
    nasty.map((n, i) => [n, i]),
  );
  assert.ok(!families.has("fake"));
});

Deno.test("Histogram.observe() puts a value equal to a bound in that bucket, rendered cumulatively", () => {
  const r = new Registry();
  const h = r.histogram({
    name: "size_bytes",
    help: "Sizes.",
    labelNames: ["kind"],
    buckets: [10, 100, 1000, Infinity],
  });
  for (const v of [1, 10, 11, 100, 5000, -3]) h.observe({ kind: "udp" }, v);
  const f = parsePromText(r.render()).get("size_bytes")!;
  const buckets = f.samples.filter((s) => s.name === "size_bytes_bucket");
  assert.deepEqual(buckets.map((b) => [b.labels.get("le"), b.value]), [
    ["10", 3],
    ["100", 5],
    ["1000", 5],
    ["+Inf", 6],
  ]);
  assert.deepEqual(h.snapshot({ kind: "udp" }), { count: 6, sum: 5119 });
  assert.equal(h.snapshot({ kind: "tcp" }), undefined);
});

Deno.test("Registry bounds label sets per metric and counts what it drops", () => {
  const r = new Registry({ labelSetsMax: 3 });
  const c = r.counter({ name: "by_node_total", help: "Per node.", labelNames: ["node"] });
  for (let i = 0; i < 1000; i++) c.inc({ node: `node-${i}` });
  c.inc({ node: "node-1" }); // an existing series keeps counting
  const f = parsePromText(r.render()).get("by_node_total")!;
  assert.equal(f.samples.length, 3);
  assert.equal(c.value({ node: "node-1" }), 2);
  assert.equal(c.value({ node: "node-500" }), undefined);
  assert.equal(r.dropped("by_node_total", "label_sets"), 997);
  const dropped = parsePromText(r.render()).get(METRICS_DROPPED_TOTAL)!.samples;
  assert.deepEqual(dropped.map((s) => [s.labels.get("metric"), s.labels.get("reason"), s.value]), [
    ["by_node_total", "label_sets", 997],
  ]);
  assert.ok(c.remove({ node: "node-0" }));
  c.inc({ node: "late" });
  assert.equal(c.value({ node: "late" }), 1);
});

Deno.test("Registry drops samples whose label value exceeds labelValueLengthMax", () => {
  const r = new Registry({ labelValueLengthMax: 8 });
  const g = r.gauge({ name: "g", help: "G.", labelNames: ["node"] });
  g.set({ node: "x".repeat(9) }, 1);
  g.set({ node: "x".repeat(8) }, 2);
  assert.equal(r.dropped("g", "label_value_length"), 1);
  assert.equal(parsePromText(r.render()).get("g")!.samples.length, 1);
});

Deno.test("Registry.counter() rejects invalid names, label names and duplicates", () => {
  const r = new Registry();
  const bad = (fn: () => unknown) => assert.throws(fn, MetricDefinitionError);
  bad(() => r.counter({ name: "9lives", help: "" }));
  bad(() => r.counter({ name: "a-b", help: "" }));
  bad(() => r.counter({ name: "ok_total", help: "", labelNames: ["__x"] }));
  bad(() => r.counter({ name: "ok_total", help: "", labelNames: ["a:b"] }));
  bad(() => r.counter({ name: "ok_total", help: "", labelNames: ["a", "a"] }));
  bad(() => r.counter({ name: "ok_total", help: "", labelSetsMax: 0 }));
  r.counter({ name: "ok_total", help: "" });
  bad(() => r.gauge({ name: "ok_total", help: "" }));
  bad(() => r.gauge({ name: METRICS_DROPPED_TOTAL, help: "" }));
  r.counter({ name: "lat_count", help: "" });
  bad(() => r.histogram({ name: "lat", help: "" }));
  r.histogram({ name: "req", help: "" });
  bad(() => r.gauge({ name: "req_sum", help: "" }));
  bad(() => r.histogram({ name: "h1", help: "", labelNames: ["le"] }));
  bad(() => r.histogram({ name: "h2", help: "", buckets: [1, 1] }));
  bad(() => r.histogram({ name: "h3", help: "", buckets: [2, 1] }));
  bad(() => r.histogram({ name: "h4", help: "", buckets: [NaN] }));
});

Deno.test("Counter.inc() refuses negative amounts and wrong label names", () => {
  const r = new Registry();
  const c = r.counter({ name: "c_total", help: "", labelNames: ["a"] });
  assert.throws(() => c.inc({ a: "x" }, -1), MetricDefinitionError);
  assert.throws(() => c.inc({ b: "x" } as never), MetricDefinitionError);
  assert.throws(() => c.inc({ a: "x", b: "y" } as never), MetricDefinitionError);
  assert.throws(() => c.inc({ a: 3 } as never), MetricDefinitionError);
  const h = r.histogram({ name: "h", help: "" });
  assert.throws(() => h.observe(NaN), MetricDefinitionError);
  assert.equal(c.value({ a: "x" }), undefined);
});

Deno.test("Gauge set/inc/dec and reset() back to zero for a metric without labels", () => {
  const r = new Registry();
  const g = r.gauge({ name: "depth", help: "" });
  assert.equal(g.value(), 0);
  g.inc();
  g.inc(4);
  g.dec(2);
  assert.equal(g.value(), 3);
  g.set(-7);
  assert.equal(g.value(), -7);
  g.reset();
  assert.equal(g.value(), 0);
  assert.match(r.render(), /\ndepth 0\n/);
});

Deno.test("Registry.gaugeFunc() reads its callback at every scrape, bounded and fault-tolerant", () => {
  const r = new Registry({ labelSetsMax: 2 });
  let n = 1;
  r.gaugeFunc({ name: "now_value", help: "", collect: () => n });
  r.gaugeFunc({
    name: "per_peer",
    help: "",
    labelNames: ["peer"],
    collect: () => [[{ peer: "b" }, 2], [{ peer: "a" }, 1], [{ peer: "a" }, 5], [{ peer: "c" }, 3]],
  });
  r.counterFunc({
    name: "broken_total",
    help: "",
    collect: () => {
      throw new Error("source gone");
    },
  });
  assert.match(r.render(), /\nnow_value 1\n/);
  n = 9;
  const text = r.render();
  assert.match(text, /\nnow_value 9\n/);
  assert.match(text, /\nper_peer\{peer="a"\} 5\nper_peer\{peer="b"\} 2\n# HELP broken_total/);
  assert.match(text, /# TYPE broken_total counter\n# HELP shoal_metrics_dropped_total/);
  assert.equal(r.dropped("per_peer", "label_sets"), 2);
  assert.equal(r.dropped("broken_total", "collect_error"), 2);
  parsePromText(text);
});
