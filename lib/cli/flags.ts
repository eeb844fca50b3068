/**
 * Declarative flags: one table describes each flag's name, type, default and help, and the same
 * table drives the parser (`argv.ts`), the help (`help.ts`) and the resolution of `SHOAL_*` variables.
 *
 * Precedence: a flag on the command line beats its environment variable, which beats the default.
 *
 * @module
 */

import { DurationError, parseDuration } from "./duration.ts";
import { UsageError } from "./usage_error.ts";
import { FlagValueError, type HostPort, parseHostPort, parseTag, splitList } from "./values.ts";
import { AddressParseError } from "../net/mod.ts";

/** How a flag's text becomes a value. */
export type FlagKind =
  | "string"
  | "bool"
  | "int"
  | "duration"
  | "enum"
  | "hostport"
  | "list"
  | "argv"
  | "entries"
  | "tags";

/** One flag. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `drain-timeout`. */
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  /** The default as a user would type it; shown in `--help`. */
  readonly default?: string;
  /** A default that is computed at run time, described for `--help` only. */
  readonly defaultText?: string;
  /** Allowed values for `enum`. */
  readonly choices?: readonly string[];
  /** Value placeholder in help, e.g. `<duration>`. */
  readonly placeholder?: string;
  /** Inclusive bounds for `int` (and for `duration`, in ms). */
  readonly min?: number;
  readonly max?: number;
  /** For `hostport` and `list` of addresses: the port used when none is given. */
  readonly defaultPort?: number;
  /** For `hostport`: accept port 0. */
  readonly allowZeroPort?: boolean;
  /** For `hostport`: accept an empty value (meaning "off"). */
  readonly allowEmpty?: boolean;
  /** For `hostport` listen addresses: `:port` means every interface (`0.0.0.0`), as in serf. */
  readonly anyHost?: boolean;
  /** `false`: no `SHOAL_*` variable (per-invocation filters that must not pick up a role's env). */
  readonly env?: false;
}

/** A resolved flag value. */
export type FlagValue =
  | string
  | boolean
  | number
  | HostPort
  | null
  | string[]
  | Map<string, string>;

/** Where a resolved value came from. */
export type FlagSource = "cli" | "env" | "default";

/** The `SHOAL_*` variable for a flag: `drain-timeout` → `SHOAL_DRAIN_TIMEOUT`. */
export function envName(flag: string): string {
  return `SHOAL_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** The `SHOAL_*` variable a flag reads, or null when it reads none. */
export function envOf(spec: FlagSpec): string | null {
  return spec.env === false ? null : envName(spec.name);
}

/**
 * How messages name a flag: `--bind`, or `SHOAL_BIND (--bind)` when its value came from the
 * environment. Every error about a flag's value uses this, so the variable is named the same way.
 */
export function flagOrigin(name: string, source: FlagSource | undefined): string {
  return source === "env" ? `${envName(name)} (--${name})` : `--${name}`;
}

/** True for kinds that may be given several times. */
export function isRepeatable(kind: FlagKind): boolean {
  return kind === "list" || kind === "tags" || kind === "argv" || kind === "entries";
}

/**
 * Parses one flag's text. `raw` is a string, or every occurrence for repeatable kinds.
 * Throws {@linkcode UsageError} naming the flag (and the variable when it came from the environment).
 */
export function parseFlag(
  spec: FlagSpec,
  raw: string | boolean | readonly string[],
  source: FlagSource,
  command: string,
): FlagValue {
  const origin = flagOrigin(spec.name, source);
  try {
    return parseValue(spec, raw);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Only a refused value is the user's mistake; any other error is a bug and propagates.
    if (!(err instanceof FlagValueError || err instanceof AddressParseError)) throw err;
    throw new UsageError(`invalid ${origin}: ${err.message}`, command, { cause: err });
  }
}

function parseValue(spec: FlagSpec, raw: string | boolean | readonly string[]): FlagValue {
  if (spec.kind === "bool") return parseBool(raw);
  if (Array.isArray(raw)) {
    if (spec.kind === "argv" || spec.kind === "entries") return [...raw];
    if (spec.kind === "list") return splitList(raw);
    if (spec.kind === "tags") return new Map(splitList(raw).map(parseTag));
  }
  const text = typeof raw === "string" ? raw : String(raw);
  switch (spec.kind) {
    case "string":
      return text;
    case "list":
      return splitList([text]);
    case "argv":
      return text.split(/\s+/).filter((a) => a !== "");
    case "entries":
      // Entries keep their spaces and commas; the environment variable separates them with `;`.
      return text.split(";").map((e) => e.trim()).filter((e) => e !== "");
    case "tags":
      return new Map(splitList([text]).map(parseTag));
    case "int":
      return parseIntBounded(text, spec);
    case "duration":
      return parseDurationBounded(text, spec);
    case "enum":
      if (!spec.choices?.includes(text)) {
        throw new FlagValueError(
          `${JSON.stringify(text)} is not one of ${spec.choices?.join(", ")}`,
        );
      }
      return text;
    case "hostport":
      if (text === "" && spec.allowEmpty) return null;
      return parseHostPort(text, {
        ...(spec.defaultPort !== undefined ? { defaultPort: spec.defaultPort } : {}),
        allowZeroPort: spec.allowZeroPort ?? false,
        anyHost: spec.anyHost ?? false,
      });
  }
  throw new Error(`unhandled flag kind ${spec.kind}`);
}

function parseBool(raw: string | boolean | readonly string[]): boolean {
  if (typeof raw === "boolean") return raw;
  const text = String(raw).trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off", ""].includes(text)) return false;
  throw new FlagValueError(`${JSON.stringify(raw)} is not a boolean (true or false)`);
}

function parseIntBounded(text: string, spec: FlagSpec): number {
  if (!/^-?\d+$/.test(text.trim())) {
    throw new FlagValueError(`${JSON.stringify(text)} is not an integer`);
  }
  const n = Number(text);
  if (spec.min !== undefined && n < spec.min) throw new FlagValueError(`${n} is below ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) throw new FlagValueError(`${n} is above ${spec.max}`);
  return n;
}

function parseDurationBounded(text: string, spec: FlagSpec): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    if (err instanceof DurationError) throw new FlagValueError(err.message);
    throw err;
  }
  if (ms < (spec.min ?? 0)) {
    throw new FlagValueError(
      `${JSON.stringify(text)} is shorter than the minimum ${spec.min ?? 0}ms`,
    );
  }
  if (spec.max !== undefined && ms > spec.max) {
    throw new FlagValueError(`${JSON.stringify(text)} is longer than the maximum ${spec.max}ms`);
  }
  return ms;
}

/** The raw inputs for one command: what the command line gave and the environment. */
export interface RawFlags {
  /** Values given on the command line, by flag name. */
  readonly cli: ReadonlyMap<string, string | boolean | readonly string[]>;
  /** Environment lookup. */
  readonly env: (name: string) => string | undefined;
}

/** Resolved values and where each came from. */
export interface ResolvedFlags {
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly sources: ReadonlyMap<string, FlagSource>;
}

/** Resolves every flag of a command: command line, then `SHOAL_*`, then default. */
export function resolveFlags(
  specs: readonly FlagSpec[],
  raw: RawFlags,
  command: string,
): ResolvedFlags {
  const values = new Map<string, FlagValue>();
  const sources = new Map<string, FlagSource>();
  for (const spec of specs) {
    const cli = raw.cli.get(spec.name);
    const variable = envOf(spec);
    const env = variable === null ? undefined : raw.env(variable);
    let source: FlagSource;
    let text: string | boolean | readonly string[] | undefined;
    if (cli !== undefined) {
      source = "cli";
      text = cli;
    } else if (env !== undefined) {
      source = "env";
      text = env;
    } else {
      source = "default";
      text = spec.default;
    }
    if (text === undefined) {
      values.set(spec.name, isRepeatable(spec.kind) ? parseValue(spec, []) : null);
    } else {
      values.set(spec.name, parseFlag(spec, text, source, command));
    }
    sources.set(spec.name, source);
  }
  return { values, sources };
}
