/**
 * Test helper: an independent, strict parser of the Prometheus text exposition format 0.0.4, used
 * to check what the metrics server actually serves. It shares no code with `lib/metrics/`.
 *
 * Checks: every line is `# HELP`, `# TYPE`, a comment or `name{labels} value`; HELP and TYPE come
 * once per metric and before its samples; a metric's samples are contiguous; no sample repeats;
 * histogram buckets are cumulative, sorted by `le`, end with `le="+Inf"` equal to `_count`, and
 * have a `_sum`.
 *
 * @module
 */

/** One sample line. */
export interface PromSample {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly value: number;
}

/** One metric family (HELP, TYPE and its samples). */
export interface PromFamily {
  readonly name: string;
  help: string | undefined;
  type: string | undefined;
  readonly samples: PromSample[];
}

/** A line that breaks the format, with its 1-based line number. */
export class PromParseError extends Error {
  override readonly name = "PromParseError";
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses `text`, returning the families by name in order; throws {@linkcode PromParseError}. */
export function parsePromText(text: string): Map<string, PromFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new PromParseError("text must end with a newline");
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  let current: PromFamily | undefined;
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, i) => {
    const fail = (why: string) =>
      new PromParseError(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    const family = (name: string) => {
      if (closed.has(name)) throw fail(`metric ${name} appears again after other metrics`);
      if (current && current.name !== name) closed.add(current.name);
      let f = families.get(name);
      if (!f) families.set(name, f = { name, help: undefined, type: undefined, samples: [] });
      current = f;
      return f;
    };
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, keyword, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) throw fail("bad metric name");
      const f = family(name);
      if (f.samples.length > 0) throw fail(`${keyword} after samples`);
      if (keyword === "HELP") {
        if (f.help !== undefined) throw fail("second HELP");
        f.help = unescape(rest, false, fail);
      } else {
        if (f.type !== undefined) throw fail("second TYPE");
        if (!TYPES.has(rest)) throw fail("unknown TYPE");
        f.type = rest;
      }
      return;
    }
    if (line.trim() === "") throw fail("blank line");
    const sample = parseSample(line, fail);
    const f = family(familyOf(sample.name, current));
    if (f.type === undefined) throw fail("sample before its TYPE line");
    f.samples.push(sample);
  });
  for (const f of families.values()) checkFamily(f);
  return families;
}

function familyOf(sampleName: string, current: PromFamily | undefined): string {
  if (current?.type === "histogram") {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (sampleName === current.name + suffix) return current.name;
    }
  }
  return sampleName;
}

function parseSample(line: string, fail: (why: string) => Error): PromSample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw fail("sample does not start with a metric name");
  let rest = line.slice(name.length);
  const labels = new Map<string, string>();
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = LABEL.exec(rest)?.[0];
      if (!label || !rest.slice(label.length).startsWith('="')) throw fail("bad label");
      rest = rest.slice(label.length + 2);
      let raw = "";
      for (;;) {
        if (rest === "") throw fail("unterminated label value");
        if (rest[0] === "\\") {
          raw += rest.slice(0, 2);
          rest = rest.slice(2);
        } else if (rest[0] === '"') {
          rest = rest.slice(1);
          break;
        } else {
          raw += rest[0];
          rest = rest.slice(1);
        }
      }
      if (labels.has(label)) throw fail(`label ${label} repeated`);
      labels.set(label, unescape(raw, true, fail));
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw fail("expected , or } after a label");
    }
    rest = rest.slice(1);
  }
  const m = /^ (\S+)$/.exec(rest);
  if (!m) throw fail("expected exactly one space and a value (no timestamp)");
  return { name, labels, value: parseNumber(m[1]!, fail) };
}

function unescape(raw: string, quotes: boolean, fail: (why: string) => Error): string {
  return raw.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "n") return "\n";
    if (c === "\\") return "\\";
    if (c === '"' && quotes) return '"';
    throw fail(`invalid escape \\${c}`);
  });
}

function parseNumber(text: string, fail: (why: string) => Error): number {
  if (text === "NaN") return NaN;
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw fail(`bad value ${text}`);
  return Number(text);
}

function key(labels: ReadonlyMap<string, string>, without?: string): string {
  return JSON.stringify([...labels].filter(([k]) => k !== without).sort());
}

function checkFamily(f: PromFamily): void {
  const seen = new Set<string>();
  for (const s of f.samples) {
    const k = s.name + key(s.labels);
    if (seen.has(k)) throw new PromParseError(`${f.name}: sample ${k} repeated`);
    seen.add(k);
  }
  if (f.type === "histogram") checkHistogram(f);
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: PromSample[]; sum?: PromSample; count?: PromSample }>();
  for (const s of f.samples) {
    const g = groups.get(key(s.labels, "le")) ?? { buckets: [] };
    groups.set(key(s.labels, "le"), g);
    if (s.name === `${f.name}_bucket`) {
      if (!s.labels.has("le")) throw new PromParseError(`${f.name}: bucket without le`);
      g.buckets.push(s);
    } else if (s.name === `${f.name}_sum`) g.sum = s;
    else if (s.name === `${f.name}_count`) g.count = s;
    else throw new PromParseError(`${f.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [labels, g] of groups) {
    const where = `${f.name}${labels}`;
    if (!g.sum || !g.count) throw new PromParseError(`${where}: missing _sum or _count`);
    const les = g.buckets.map((b) =>
      parseNumber(b.labels.get("le")!, (w) => new PromParseError(w))
    );
    if (les.at(-1) !== Infinity) throw new PromParseError(`${where}: last bucket is not +Inf`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(les[i]! > les[i - 1]!)) throw new PromParseError(`${where}: le not increasing`);
      if (g.buckets[i]!.value < g.buckets[i - 1]!.value) {
        throw new PromParseError(`${where}: buckets are not cumulative`);
      }
    }
    if (g.buckets.at(-1)!.value !== g.count.value) {
      throw new PromParseError(`${where}: +Inf bucket differs from _count`);
    }
  }
}
