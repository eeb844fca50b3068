/**
 * A typed reader over {@linkcode ResolvedFlags} for one command: each flag's value as the kind
 * it was declared with, where it came from, and usage errors that name it.
 *
 * @module
 */

import type { Endpoint } from "../config.ts";
import { flagOrigin, type FlagValue, type ResolvedFlags } from "./flags.ts";
import { UsageError } from "./usage_error.ts";

/** Reads the resolved flags of `command`; an undeclared flag name is a bug and throws. */
export class Flags {
  constructor(readonly resolved: ResolvedFlags, readonly command: string) {}

  #get(name: string): FlagValue {
    if (!this.resolved.values.has(name)) throw new Error(`bug: flag --${name} is not declared`);
    return this.resolved.values.get(name)!;
  }
  string(name: string): string | null {
    const v = this.#get(name);
    return typeof v === "string" && v !== "" ? v : null;
  }
  number(name: string): number | null {
    const v = this.#get(name);
    return typeof v === "number" ? v : null;
  }
  bool(name: string): boolean {
    return this.#get(name) === true;
  }
  list(name: string): string[] {
    const v = this.#get(name);
    return Array.isArray(v) ? v : [];
  }
  tags(name: string): Map<string, string> {
    const v = this.#get(name);
    return v instanceof Map ? v : new Map();
  }
  endpoint(name: string): Endpoint | null {
    const v = this.#get(name);
    return v !== null && typeof v === "object" && "host" in v ? v : null;
  }
  /** The flag as messages name it: `--x`, or `SHOAL_X (--x)` when it came from the environment. */
  origin(name: string): string {
    return flagOrigin(name, this.resolved.sources.get(name));
  }
  /** True when the value came from the command line. */
  fromCli(name: string): boolean {
    return this.resolved.sources.get(name) === "cli";
  }
  fail(message: string): never {
    throw new UsageError(message, this.command);
  }
}
