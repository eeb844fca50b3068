import assert from "node:assert/strict";
import { parsePromText, PromParseError } from "../_support/prom_text.ts";

const TYPE = "# TYPE h histogram\n";

Deno.test("parsePromText() accepts a well-formed histogram and escaped labels", () => {
  const f = parsePromText(
    `# HELP h A \\\\ help.\n${TYPE}h_bucket{a="x\\"y\\n",le="1"} 1\nh_bucket{a="x\\"y\\n",le="+Inf"} 2\n` +
      `h_sum{a="x\\"y\\n"} 3\nh_count{a="x\\"y\\n"} 2\n`,
  ).get("h")!;
  assert.equal(f.help, "A \\ help.");
  assert.equal(f.samples[0]!.labels.get("a"), 'x"y\n');
});

Deno.test("parsePromText() rejects text that breaks the format", () => {
  const bad = [
    "x 1\n", // no TYPE
    "# TYPE x gauge\nx 1", // no final newline
    "# TYPE x gauge\nx 1 1234\n", // timestamp
    '# TYPE x gauge\nx{a="b} 1\n', // unterminated
    '# TYPE x gauge\nx{a="\\t"} 1\n', // bad escape
    "# TYPE x gauge\nx 1\n# HELP x late\n", // HELP after samples
    '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', // repeated sample
    "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n", // interleaved
    "# TYPE x gauge\nx one\n",
    `${TYPE}h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n`, // not cumulative
    `${TYPE}h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n`, // no +Inf
    `${TYPE}h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n`, // +Inf != count
    `${TYPE}h_bucket{le="+Inf"} 1\nh_count 1\n`, // no sum
  ];
  for (const text of bad) assert.throws(() => parsePromText(text), PromParseError, text);
});
