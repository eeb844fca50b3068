/**
 * Usage errors: a user mistake on the command line or in a `SHOAL_*` variable. The CLI prints the
 * message as one line with a `--help` hint and exits with status 2, never with a stack trace.
 *
 * @module
 */

/** Exit status for usage errors, as Go's flag package and cobra use. */
export const USAGE_EXIT_CODE = 2;

/**
 * A mistake in how shoal was invoked.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage_error.ts";
 * const err = new UsageError("invalid --drain-timeout \"x\"", "task");
 * console.assert(err.command === "task");
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The subcommand whose `--help` the hint points at (empty for the root). */
  readonly command: string;

  constructor(message: string, command = "", options?: ErrorOptions) {
    super(message, options);
    this.command = command;
  }

  /** The one line printed to stderr. */
  line(): string {
    const help = this.command ? `shoal ${this.command} --help` : "shoal --help";
    const prefix = this.command ? `shoal ${this.command}` : "shoal";
    return `${prefix}: ${this.message} (see '${help}')`;
  }
}
