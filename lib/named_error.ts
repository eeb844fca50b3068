/**
 * The base of shoal's named operating errors.
 *
 * @module
 */

/**
 * An error whose `name` is its own class's name (`NoSuchServerError`, `SpawnError`, …), so a
 * subclass needs no `name` line of its own and cannot get it wrong. Classify with `instanceof`.
 *
 * @example
 * ```ts
 * import { NamedError } from "./named_error.ts";
 * class DiskFullError extends NamedError {}
 * console.assert(new DiskFullError("Cannot write").name === "DiskFullError");
 * ```
 */
export class NamedError extends Error {
  /** Creates the error with a message and an optional cause. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
