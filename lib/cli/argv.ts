/**
 * Splits one subcommand's arguments into flags and positional arguments, as the flag tables in
 * `specs.ts` declare them. GNU-style long flags only: `--name value`, `--name=value`, a bare
 * `--name` for booleans, `-h`/`--help` anywhere, and `--` ending the flags (everything after it
 * is the worker's or HAProxy's command line, untouched).
 *
 * Written here rather than on an argument library: the flag tables already hold everything a
 * parser needs, and the last npm dependency of the process cost every `shoal task` about 4.5 MB.
 *
 * @module
 */

import { type FlagSpec, isRepeatable } from "./flags.ts";
import { UsageError } from "./usage_error.ts";

/** A subcommand's arguments, split. */
export interface SplitArgs {
  /** The value(s) given for each flag on the command line, by flag name. */
  readonly flags: ReadonlyMap<string, string | boolean | readonly string[]>;
  /** Positional arguments before `--`, then everything after it. */
  readonly rest: readonly string[];
  /** Whether `--` was given. */
  readonly dashDash: boolean;
  /** `-h` or `--help` was given (before `--`). */
  readonly help: boolean;
}

/** Edit distance (insert, delete, substitute, swap neighbours) between two short strings. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known name within a typo's reach (at most 40% of the name edited), if any. */
export function suggest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const dist = distance(typed, name);
    if (dist < bestDistance && dist <= Math.max(1, Math.floor(name.length * 0.4))) {
      best = name;
      bestDistance = dist;
    }
  }
  return best;
}

/**
 * Splits `args` (after the subcommand name) for `command`, whose flags are `specs`. `positional`
 * says whether the command takes positional arguments. Throws {@linkcode UsageError} naming the
 * flag or argument at fault.
 */
export function splitArgs(
  args: readonly string[],
  specs: readonly FlagSpec[],
  command: string,
  positional: boolean,
): SplitArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags = new Map<string, string | boolean | string[]>();
  const rest: string[] = [];
  let help = false;
  let dashDash = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      dashDash = true;
      rest.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!positional) {
        throw new UsageError(
          `unexpected argument ${JSON.stringify(arg)}: ${command} takes none`,
          command,
        );
      }
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq === -1 ? undefined : eq) : "";
    const spec = byName.get(name);
    if (spec === undefined) {
      const typed = eq === -1 ? arg : arg.slice(0, eq);
      const near = arg.startsWith("--") ? suggest(name, [...byName.keys(), "help"]) : undefined;
      throw new UsageError(
        `unknown flag ${typed}${near === undefined ? "" : ` (did you mean --${near}?)`}`,
        command,
      );
    }
    let value: string | boolean;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (spec.kind === "bool") value = true;
    else if (i + 1 < args.length) value = args[++i]!;
    else throw new UsageError(`flag --${name} needs a value`, command);
    if (isRepeatable(spec.kind)) {
      const list = flags.get(name);
      flags.set(name, [...(Array.isArray(list) ? list : []), String(value)]);
    } else {
      flags.set(name, value); // the last one wins, as with every other CLI
    }
  }
  return { flags, rest, dashDash, help };
}
