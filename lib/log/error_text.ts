/**
 * The text of a caught value for a log field or a message: an `Error`'s message, anything else
 * (a string thrown by a library, a rejection reason) converted with `String`.
 *
 * @example
 * ```ts
 * import { errorText } from "./error_text.ts";
 * console.assert(errorText(new Error("boom")) === "boom" && errorText("x") === "x");
 * ```
 *
 * @module
 */

/** `err.message` for an `Error`, else `String(err)`. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
