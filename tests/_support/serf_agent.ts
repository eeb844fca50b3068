/**
 * Launches a real `serf agent` on 127.0.0.1 for gossip-level interop tests, waiting for its RPC
 * to answer (never a sleep), and stops it by its own process id.
 *
 * @module
 */

import { requireSerfBinary, serfBinary, serfCli } from "./serf_cli.ts";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait.ts";

/** A running agent. */
export interface SerfAgent {
  readonly name: string;
  readonly bindPort: number;
  readonly rpcAddr: string;
  /** The agent's process id. */
  readonly pid: number;
  /** Output collected so far (stdout + stderr). */
  output(): string;
  stop(): Promise<void>;
}

export { freePort };
export { waitFor };

/** Starts `serf agent -node=<name>` with tags and event handlers, ready when its RPC answers. */
export async function startSerfAgent(
  name: string,
  opts: { tags?: Record<string, string>; handlers?: string[]; extraArgs?: string[] } = {},
): Promise<SerfAgent> {
  await requireSerfBinary();
  const bindPort = freePort();
  const rpcAddr = `127.0.0.1:${freePort()}`;
  const args = ["agent", `-node=${name}`, `-bind=127.0.0.1:${bindPort}`, `-rpc-addr=${rpcAddr}`];
  for (const [k, v] of Object.entries(opts.tags ?? {})) args.push("-tag", `${k}=${v}`);
  for (const h of opts.handlers ?? []) args.push("-event-handler", h);
  args.push(...(opts.extraArgs ?? []));
  const child = new Deno.Command(serfBinary(), { args, stdout: "piped", stderr: "piped" }).spawn();
  let text = "";
  const td = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += td.decode(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const agent: SerfAgent = {
    name,
    bindPort,
    rpcAddr,
    pid: child.pid,
    output: () => text,
    stop: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await pumps;
    },
  };
  try {
    await waitFor(
      `serf agent ${name} RPC`,
      async () => (await serfCli("members", rpcAddr, [], 2000)).code === 0,
      { intervalMs: 50 }, // each check spawns a serf process
    );
  } catch (e) {
    await agent.stop();
    throw new Error(`serf agent did not start:\n${text}`, { cause: e });
  }
  return agent;
}
