import assert from "node:assert/strict";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  isValidLabelName,
  isValidMetricName,
} from "../../lib/metrics/mod.ts";

Deno.test("escapeLabelValue() escapes backslash, double quote and newline only", () => {
  assert.equal(escapeLabelValue("plain-node_1.a:b"), "plain-node_1.a:b");
  assert.equal(escapeLabelValue('say "hi"'), 'say \\"hi\\"');
  assert.equal(escapeLabelValue("C:\\path"), "C:\\\\path");
  assert.equal(escapeLabelValue("two\nlines"), "two\\nlines");
  assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  assert.equal(escapeLabelValue("tab\there ünïcödé"), "tab\there ünïcödé");
});

Deno.test("escapeHelp() escapes backslash and newline but keeps quotes", () => {
  assert.equal(escapeHelp('a "quoted" \\ word\nnext'), 'a "quoted" \\\\ word\\nnext');
});

Deno.test("formatValue() writes Go-style floats", () => {
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0), "0");
  assert.equal(formatValue(42), "42");
  assert.equal(formatValue(-1.5), "-1.5");
  assert.equal(formatValue(0.005), "0.005");
  assert.equal(formatValue(1e21), "1e+21");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
});

Deno.test("isValidMetricName() follows [a-zA-Z_:][a-zA-Z0-9_:]*", () => {
  for (const ok of ["a", "_x", ":recorded:rule", "shoal_gossip_probes_total", "A9_:"]) {
    assert.ok(isValidMetricName(ok), ok);
  }
  for (const bad of ["", "9a", "a-b", "a b", "a.b", "ä", "a{}"]) {
    assert.ok(!isValidMetricName(bad), bad);
  }
});

Deno.test("isValidLabelName() rejects colons, leading digits and the reserved __ prefix", () => {
  for (const ok of ["backend", "_x", "le", "a9"]) assert.ok(isValidLabelName(ok), ok);
  for (const bad of ["", "a:b", "9a", "__name__", "__x", "a-b"]) {
    assert.ok(!isValidLabelName(bad), bad);
  }
});
