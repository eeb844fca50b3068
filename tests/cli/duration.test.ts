import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { DurationError, formatDuration, parseDuration } from "../../lib/cli/duration.ts";

Deno.test("parseDuration() accepts Go duration syntax", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["500ms", 500],
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["2h45m", 9_900_000],
    ["100us", 0.1],
    ["100µs", 0.1],
    ["1000000ns", 1],
    [".5s", 500],
    ["-1s", -1000],
  ];
  for (const [text, ms] of cases) equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration() rejects what Go rejects", () => {
  for (const text of ["", "5", "5x", "s", "1d", "1m30", "ms5", "1 s", "--1s"]) {
    throws(() => parseDuration(text), DurationError, text);
  }
});

Deno.test("formatDuration() prints like Go's Duration.String()", () => {
  deepStrictEqual(
    [0, 500, 1000, 90_000, 9_900_000, 1500].map(formatDuration),
    ["0s", "500ms", "1s", "1m30s", "2h45m0s", "1.5s"],
  );
  for (const ms of [250, 30_000, 3_723_000]) equal(parseDuration(formatDuration(ms)), ms);
});
