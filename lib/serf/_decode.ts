/**
 * One error type for every decode failure of network input (STYLE: the shell counts, logs at
 * debug and drops).
 *
 * @module
 */

import { MsgpackError } from "../gossip/wire/msgpack.ts";
import { LamportOverflowError, SerfDecodeError } from "./errors.ts";

/** Runs `fn`, turning msgpack, type and overflow errors into {@linkcode SerfDecodeError}. */
export function decodeBody<T>(bytes: Uint8Array, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SerfDecodeError) throw e;
    if (e instanceof MsgpackError || e instanceof TypeError || e instanceof LamportOverflowError) {
      throw new SerfDecodeError(`Cannot decode ${what} of ${bytes.length} bytes: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
}
