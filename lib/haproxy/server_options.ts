/**
 * Per-backend server options (`--server-options 'backend=options…'`): extra `add server` keywords
 * such as `send-proxy-v2`, `ssl verify none`, `maxconn 100` or `port 8081`. The text reaches
 * HAProxy's runtime API, so it is checked strictly here: words from a small character set, no
 * command separators, and none of the keywords shoal sets itself. Whether HAProxy knows a keyword
 * is HAProxy's call: the start-up probe adds a throwaway server with the options and reports
 * HAProxy's refusal (see `checkBackend`). Pure.
 *
 * @module
 */

import { ValidationError } from "./errors.ts";
import { validateName } from "./validate.ts";

/** Characters of one option word: no `;`, `#`, quotes, backslash or blanks reach HAProxy. */
const WORD = /^[A-Za-z0-9._:\/,@+=-]{1,256}$/;
/** Longest option text of one backend. */
export const SERVER_OPTIONS_LENGTH_MAX = 512;

/**
 * Keywords shoal owns: the server's id, weight, backup flag, state and health checks come from
 * the task and the sidecar's flags, so an option cannot contradict them.
 */
const RESERVED = new Set([
  "id",
  "weight",
  "backup",
  "no-backup",
  "disabled",
  "enabled",
  "check",
  "no-check",
  "inter",
  "fastinter",
  "downinter",
  "rise",
  "fall",
  "slowstart",
  "track",
  "init-addr",
]);

/**
 * Splits and checks one backend's option text into words. Throws {@linkcode ValidationError}.
 *
 * @example
 * ```ts
 * import { parseServerOptions } from "./server_options.ts";
 * console.assert(parseServerOptions("send-proxy-v2  maxconn 100").join("|") === "send-proxy-v2|maxconn|100");
 * ```
 */
export function parseServerOptions(text: string): string[] {
  if (text.length > SERVER_OPTIONS_LENGTH_MAX) {
    throw new ValidationError("server options", text, `longer than ${SERVER_OPTIONS_LENGTH_MAX}`);
  }
  const words = text.split(" ").filter((w) => w !== "");
  if (words.length === 0) throw new ValidationError("server options", text, "empty");
  for (const word of words) {
    if (!WORD.test(word)) {
      throw new ValidationError(
        "server options",
        word,
        "words may use only A-Z a-z 0-9 . _ : / , @ + = - (separated by spaces)",
      );
    }
    if (RESERVED.has(word)) {
      throw new ValidationError("server options", word, "is set by shoal itself");
    }
  }
  return words;
}

/**
 * Parses one `--server-options` value, `backend=options…`, into the backend and its words.
 * Throws {@linkcode ValidationError}.
 */
export function parseServerOptionsFlag(value: string): { backend: string; words: string[] } {
  const at = value.indexOf("=");
  if (at <= 0) {
    throw new ValidationError("server options", value, "expected backend=options");
  }
  const backend = validateName("backend", value.slice(0, at));
  return { backend, words: parseServerOptions(value.slice(at + 1)) };
}
