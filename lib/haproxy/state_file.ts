/**
 * The server-state file: HAProxy's own way to carry servers' addresses, weights and states across
 * a reload or restart (`server-state-file <path>` in `global`, `load-server-state-from-file
 * global` in `defaults`). The file is the reply of `show servers state`; it is read by every new
 * HAProxy process at start-up, so whoever triggers a reload finds it current when the reconciler
 * rewrites it after each pass. Only configuration servers (for shoal, `server-template` slots)
 * are restored: lines of dynamic servers are ignored.
 *
 * @module
 */

import type { RuntimeClient } from "./client.ts";
import { showServersStateCommand } from "./commands.ts";

/**
 * Writes `show servers state` (every backend) to `path`, atomically: a temporary file next to it,
 * then a rename, so a reload never reads half a file. Returns the bytes written.
 */
export async function saveServerState(client: RuntimeClient, path: string): Promise<number> {
  const text = await client.execute(showServersStateCommand());
  if (!text.startsWith("1\n")) throw new Error("show servers state gave no state to save");
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, text.endsWith("\n") ? text : `${text}\n`);
  await Deno.rename(tmp, path);
  return text.length;
}
