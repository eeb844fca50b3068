/**
 * Test helper: a deliberately tiny YAML reader for the compose file in `examples/`. It accepts
 * block mappings, block sequences of scalars, flow sequences of scalars, plain / single-quoted /
 * double-quoted scalars and comments, and refuses everything else (anchors, tags, block scalars,
 * flow mappings, tabs, duplicate keys, plain scalars containing ": " or " #") with an error naming
 * the line, so the example stays within what it can check. Every scalar is returned as a string.
 *
 * @module
 */

/** A parsed value. */
export type MiniYaml = string | MiniYaml[] | { [key: string]: MiniYaml };

/** A construct outside the supported subset, or malformed text. */
export class MiniYamlError extends Error {
  override readonly name = "MiniYamlError";
}

interface Line {
  readonly n: number;
  readonly indent: number;
  readonly text: string;
}

/** Parses `text` (one document). */
export function parseMiniYaml(text: string): MiniYaml {
  const lines: Line[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.includes("\t")) throw new MiniYamlError(`line ${i + 1}: tab character`);
    const body = stripComment(raw, i + 1).trimEnd();
    if (body.trim() === "") return;
    if (body.trim() === "---" || body.trim() === "...") {
      throw new MiniYamlError(`line ${i + 1}: document markers are not supported`);
    }
    lines.push({ n: i + 1, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  if (lines.length === 0) return {};
  const [value, next] = parseBlock(lines, 0, lines[0]!.indent);
  if (next !== lines.length) throw new MiniYamlError(`line ${lines[next]!.n}: bad indentation`);
  return value;
}

function stripComment(raw: string, n: number): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s:,[-]/.test(raw[i - 1]!))) {
      quote = c;
    } else if (c === "#" && (i === 0 || raw[i - 1] === " ")) return raw.slice(0, i);
  }
  if (quote) throw new MiniYamlError(`line ${n}: unterminated quote`);
  return raw;
}

function parseBlock(lines: Line[], start: number, indent: number): [MiniYaml, number] {
  return lines[start]!.text.startsWith("-")
    ? parseSequence(lines, start, indent)
    : parseMapping(lines, start, indent);
}

function parseSequence(lines: Line[], start: number, indent: number): [MiniYaml[], number] {
  const items: MiniYaml[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const m = /^-(?: (.*))?$/.exec(line.text);
    if (!m || !m[1]) throw new MiniYamlError(`line ${line.n}: expected "- scalar"`);
    if (/^[A-Za-z0-9_.-]+:( |$)/.test(m[1])) {
      throw new MiniYamlError(`line ${line.n}: mappings inside sequences are not supported`);
    }
    items.push(parseScalar(m[1], line.n));
    i++;
  }
  if (i < lines.length && lines[i]!.indent > indent) {
    throw new MiniYamlError(`line ${lines[i]!.n}: bad indentation`);
  }
  return [items, i];
}

function parseMapping(
  lines: Line[],
  start: number,
  indent: number,
): [{ [key: string]: MiniYaml }, number] {
  const map: { [key: string]: MiniYaml } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(line.text);
    if (!m) throw new MiniYamlError(`line ${line.n}: expected "key: value"`);
    const key = m[1]!;
    if (Object.hasOwn(map, key)) throw new MiniYamlError(`line ${line.n}: duplicate key ${key}`);
    i++;
    if (m[2] !== undefined && m[2].trim() !== "") {
      map[key] = parseScalar(m[2].trim(), line.n);
    } else if (i < lines.length && lines[i]!.indent > indent) {
      [map[key], i] = parseBlock(lines, i, lines[i]!.indent);
    } else if (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith("-")) {
      [map[key], i] = parseSequence(lines, i, indent);
    } else {
      map[key] = "";
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) {
    throw new MiniYamlError(`line ${lines[i]!.n}: bad indentation`);
  }
  return [map, i];
}

function parseScalar(text: string, n: number): MiniYaml {
  const fail = (why: string) => new MiniYamlError(`line ${n}: ${why}: ${text}`);
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw fail("unterminated flow sequence");
    const inner = text.slice(1, -1).trim();
    return inner === "" ? [] : splitFlow(inner, fail).map((part) => {
      const v = parseScalar(part.trim(), n);
      if (typeof v !== "string") throw fail("nested collections are not supported");
      return v;
    });
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw fail("bad double-quoted scalar");
    try {
      return JSON.parse(text) as string;
    } catch {
      throw fail("unsupported escape in double-quoted scalar");
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw fail("bad single-quoted scalar");
    const inner = text.slice(1, -1);
    if (/'(?!')/.test(inner.replaceAll("''", ""))) throw fail("stray quote");
    return inner.replaceAll("''", "'");
  }
  if (/^[&*!|>{}%@`,\]?:-]( |$)|^[&*!|>{%@`]/.test(text)) throw fail("unsupported YAML syntax");
  if (text.includes(": ") || text.includes(" #")) throw fail("plain scalar with ': ' or ' #'");
  return text;
}

function splitFlow(inner: string, fail: (why: string) => Error): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") throw fail("nested flow collections are not supported");
    else if (c === ",") {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}
