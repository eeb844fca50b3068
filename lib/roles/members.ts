/**
 * `shoal members`: the cluster as an agent's RPC sees it, printed like `serf members`.
 *
 * @module
 */

import type { MembersConfig } from "../config.ts";
import { joinHostPort } from "../net/mod.ts";
import { RpcClient, RpcClientError, type RpcMember } from "../serf/rpc/client.ts";

/** Formats members as `serf members` does: aligned columns name, address, status, tags. */
export function formatMembersTable(members: readonly RpcMember[]): string {
  const rows = members.map((m) => [
    m.name,
    joinHostPort(m.addr, m.port),
    m.status,
    [...m.tags].map(([k, v]) => `${k}=${v}`).join(","),
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd() + "\n"
  ).join("");
}

/** Formats members as JSON, in `serf members -format=json`'s shape. */
export function formatMembersJson(members: readonly RpcMember[]): string {
  return JSON.stringify(
    {
      members: members.map((m) => ({
        name: m.name,
        addr: joinHostPort(m.addr, m.port),
        port: m.port,
        tags: Object.fromEntries(m.tags),
        status: m.status,
        protocol: m.protocol,
      })),
    },
    null,
    2,
  ) + "\n";
}

/** Runs `shoal members`; exit 1 when the agent cannot be asked. */
export async function runMembers(
  config: MembersConfig,
  io: { stdout(t: string): void; stderr(t: string): void },
): Promise<number> {
  let client: RpcClient | undefined;
  try {
    client = await RpcClient.connect(config.rpcAddr, { authKey: config.rpcAuth });
    const members = await client.members({
      ...(config.name ? { name: config.name } : {}),
      ...(config.status ? { status: config.status } : {}),
      tags: config.tags,
    });
    io.stdout(config.format === "json" ? formatMembersJson(members) : formatMembersTable(members));
    return 0;
  } catch (err) {
    if (err instanceof RpcClientError) {
      io.stderr(`shoal members: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    client?.close();
  }
}
