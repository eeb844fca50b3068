/**
 * Go (RE2) regular expressions, as used by serf's tag filters and the RPC `members-filtered`
 * command, translated to JS `RegExp`.
 *
 * RE2 matches in linear time; JS backtracks. A pattern from the network must not be able to hang
 * the process, so translation refuses what is unsupported or could backtrack exponentially
 * (a quantified group that itself contains a quantifier or an alternation, such as `(a+)+` or
 * `(a|a)*`) or polynomially with a high degree (more than two repeating quantifiers). A refused or invalid pattern yields `null`, which callers treat as "does not match",
 * the same outcome Go gives for an invalid expression.
 *
 * @example
 * ```ts
 * import { compileGoRegexp } from "./go_regexp.ts";
 * console.assert(compileGoRegexp("py.*")!.test("python"));
 * console.assert(compileGoRegexp("(?P<x>a)b")!.test("ab"));
 * console.assert(compileGoRegexp("(a+)+$") === null);
 * ```
 *
 * @module
 */

/** Longest pattern accepted; serf's whole query is limited to 1024 bytes. */
export const GO_REGEXP_LENGTH_MAX = 1024;
/** Compiled patterns kept; bounded because patterns come from the network. */
const CACHE_SIZE_MAX = 256;
/**
 * Repeating quantifiers allowed in one pattern. Each one in sequence multiplies the worst-case
 * backtracking by the input length. Measured on V8 with `a*a*…b` against "a" × n, unanchored:
 * three repeats take 750 ms at n = 256; two take 180 ms at n = 512 (the tag size limit).
 */
const REPEATS_MAX = 2;
/** RE2 refuses repeat counts above 1000. */
const REPEAT_MAX = 1000;

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7f",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Thrown internally for an unsupported construct. */
class Unsupported extends Error {}

interface Group {
  risky: boolean;
  /**
   * JS modifier groups opened for Go `(?flags)` in the middle of this group: Go applies them up
   * to the end of the group, across `|`, so each alternative reopens them.
   */
  modifiers: string[];
}

function closeModifiers(g: Group): string {
  return ")".repeat(g.modifiers.length);
}

/** Translates one escape at `p[i] === "\\"`; returns [js, next index]. */
function translateEscape(p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i + 1];
  if (c === undefined) throw new Unsupported("trailing backslash");
  if (c === "Q" && !inClass) {
    const end = p.indexOf("\\E", i + 2);
    const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
    return [lit.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&"), end < 0 ? p.length : end + 2];
  }
  if (c === "A" && !inClass) return ["(?<![\\s\\S])", i + 2];
  if (c === "z" && !inClass) return ["(?![\\s\\S])", i + 2];
  if (c === "a") return ["\\x07", i + 2];
  if (c === "x" && p[i + 2] === "{") {
    const end = p.indexOf("}", i + 3);
    const cp = parseInt(p.slice(i + 3, end), 16);
    if (end < 0 || !(cp >= 0 && cp <= 0xffff)) throw new Unsupported("\\x{...}");
    return [`\\u${cp.toString(16).padStart(4, "0")}`, end + 1];
  }
  if ("dDsSwWntfrvx".includes(c)) return [`\\${c}`, i + 2];
  if ("bB".includes(c) && !inClass) return [`\\${c}`, i + 2];
  if (/[!-\/:-@[-`{-~]/.test(c)) return [`\\${c}`, i + 2];
  throw new Unsupported(`escape \\${c}`);
}

/** Translates a bracket expression starting at `p[i] === "["`. */
function translateClass(p: string, i: number): [string, number] {
  let out = "[";
  let j = i + 1;
  if (p[j] === "^") (out += "^", j++);
  if (p[j] === "]") (out += "\\]", j++);
  while (j < p.length && p[j] !== "]") {
    if (p.startsWith("[:", j)) {
      const end = p.indexOf(":]", j + 2);
      const name = end < 0 ? "" : p.slice(j + 2, end);
      const neg = name.startsWith("^");
      const range = POSIX_CLASSES[neg ? name.slice(1) : name];
      if (range === undefined || neg) throw new Unsupported(`class [:${name}:]`);
      (out += range, j = end + 2);
    } else if (p[j] === "\\") {
      const [js, next] = translateEscape(p, j, true);
      (out += js, j = next);
    } else if (p[j] === "[") (out += "\\[", j++);
    else (out += p[j], j++);
  }
  if (j >= p.length) throw new Unsupported("unterminated class");
  return [out + "]", j + 1];
}

/** Reads a quantifier at `i`; returns [text, next, canRepeat] or null. */
function readQuantifier(p: string, i: number): [string, number, boolean] | null {
  const c = p[i];
  let q: string, next: number, repeats: boolean;
  if (c === "*" || c === "+" || c === "?") [q, next, repeats] = [c, i + 1, c !== "?"];
  else if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
    if (m === null) return null;
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : m[3] === "" ? Infinity : Number(m[3]);
    if (lo > REPEAT_MAX || (hi !== Infinity && hi > REPEAT_MAX) || hi < lo) {
      throw new Unsupported("repeat count");
    }
    [q, next, repeats] = [m[0], i + m[0].length, hi > 1];
  } else return null;
  if (p[next] === "?") (q += "?", next++);
  if (p[next] === "*" || p[next] === "+" || p[next] === "?") throw new Unsupported("double repeat");
  return [q, next, repeats];
}

/**
 * Handles `(` at `i`: returns [js, next], collecting the flags of a leading `(?flags)`; a later
 * `(?flags)` opens a JS modifier group and also returns its flags.
 */
function openGroup(
  p: string,
  i: number,
  atStart: boolean,
  flags: Set<string>,
): [string, number, string?] {
  if (p[i + 1] !== "?") return ["(", i + 1];
  if (p.startsWith("(?P<", i)) return ["(?<", i + 4];
  if (p.startsWith("(?:", i)) return ["(?:", i + 3];
  if (p.startsWith("(?<", i) && /^\(\?<\w+>/.test(p.slice(i))) return ["(?<", i + 3];
  const m = /^\(\?([ims]+)(\)|:)/.exec(p.slice(i));
  if (m === null) throw new Unsupported("group syntax");
  if (m[2] === ")") {
    if (!atStart) return [`(?${m[1]}:`, i + m[0].length, m[1]!];
    for (const f of m[1]!) flags.add(f);
    return ["", i + m[0].length];
  }
  return [`(?${m[1]}:`, i + m[0].length];
}

/** The JS source and flags for a Go expression; throws Unsupported. */
function translate(expr: string): { source: string; flags: string } {
  const flags = new Set<string>();
  const stack: Group[] = [{ risky: false, modifiers: [] }];
  let out = "", i = 0, lastAtom: "group" | "atom" | null = null, lastRisky = false, repeats = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    const quant = lastAtom === null ? null : readQuantifier(expr, i);
    if (quant !== null) {
      const [q, next, repeating] = quant;
      if (lastAtom === "group" && lastRisky && repeating) throw new Unsupported("nested repeat");
      if (repeating && ++repeats > REPEATS_MAX) throw new Unsupported("too many repeats");
      stack[stack.length - 1]!.risky = true;
      (out += q, i = next, lastAtom = null);
      continue;
    }
    if (c === "(") {
      const [js, next, modifier] = openGroup(expr, i, out === "", flags);
      (out += js, i = next);
      if (modifier !== undefined) stack[stack.length - 1]!.modifiers.push(modifier);
      else if (js !== "") stack.push({ risky: false, modifiers: [] });
      lastAtom = null;
    } else if (c === ")") {
      if (stack.length === 1) throw new Unsupported("unbalanced )");
      const g = stack.pop()!;
      lastRisky = g.risky;
      if (lastRisky) stack[stack.length - 1]!.risky = true;
      (out += closeModifiers(g) + ")", i++, lastAtom = "group");
    } else if (c === "|") {
      const g = stack[stack.length - 1]!;
      g.risky = true;
      const reopen = g.modifiers.map((f) => `(?${f}:`).join("");
      (out += `${closeModifiers(g)}|${reopen}`, i++, lastAtom = null);
    } else if (c === "[") {
      const [js, next] = translateClass(expr, i);
      (out += js, i = next, lastAtom = "atom");
    } else if (c === "\\") {
      const [js, next] = translateEscape(expr, i, false);
      (out += js, i = next, lastAtom = "atom");
    } else if (c === "*" || c === "+" || c === "?") {
      throw new Unsupported("missing repeat argument");
    } else if (c === "/") (out += "\\/", i++, lastAtom = "atom");
    else (out += c, i++, lastAtom = c === "^" || c === "$" ? null : "atom");
  }
  if (stack.length !== 1) throw new Unsupported("unbalanced (");
  return { source: out + closeModifiers(stack[0]!), flags: [...flags].join("") };
}

const cache = new Map<string, RegExp | null>();

/**
 * Compiles a Go regular expression to a JS `RegExp`, or `null` when it is invalid, unsupported
 * or could backtrack badly. With `anchored`, the whole input must match (`^(?:…)$`), as serf's
 * RPC `members-filtered` does; otherwise it is a substring match, as tag filters are.
 */
export function compileGoRegexp(expr: string, anchored = false): RegExp | null {
  const key = `${anchored ? "A" : "U"}${expr}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let re: RegExp | null = null;
  if (expr.length <= GO_REGEXP_LENGTH_MAX) {
    try {
      const { source, flags } = translate(expr);
      re = new RegExp(anchored ? `^(?:${source})$` : source, flags);
    } catch {
      re = null; // Unsupported or SyntaxError: both mean "does not match".
    }
  }
  if (cache.size >= CACHE_SIZE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

/** True when `expr` (Go syntax) matches `text`; an unusable expression never matches. */
export function goRegexpMatches(expr: string, text: string, anchored = false): boolean {
  return compileGoRegexp(expr, anchored)?.test(text) ?? false;
}
