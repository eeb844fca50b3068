/**
 * The flags every role shares: logging and gossip (node name, join targets, encryption, RPC,
 * snapshot, profile), checked and turned into {@linkcode GossipConfig} and {@linkcode LogConfig}.
 *
 * @module
 */

import type { GossipConfig, LogConfig } from "../config.ts";
import type { LogLevel } from "../log/logger.ts";
import { AddressParseError } from "../net/mod.ts";
import type { Flags } from "./flag_reader.ts";
import { DEFAULT_GOSSIP_PORT, formatHostPort, parseHostPort } from "./values.ts";

/** What building a config may need from the host, injected by the composition root. */
export interface ConfigDeps {
  /** The machine's hostname, the default node name. */
  hostname(): string;
}

/** serf's node-name rule, also safe to embed in HAProxy server names after sanitising. */
const NODE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `--log-level` and `--log-format`. */
export function logConfig(f: Flags): LogConfig {
  return {
    level: (f.string("log-level") ?? "info") as LogLevel,
    format: (f.string("log-format") ?? "auto") as LogConfig["format"],
  };
}

function encryptKey(f: Flags): string | null {
  const key = f.string("encrypt");
  if (key === null) return null;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  } catch { // atob throws only InvalidCharacterError: the text is not base64
    f.fail(`invalid ${f.origin("encrypt")}: not base64 (generate a key with 'shoal keygen')`);
  }
  if (![16, 24, 32].includes(bytes.length)) {
    f.fail(`invalid ${f.origin("encrypt")}: key is ${bytes.length} bytes, must be 16, 24 or 32`);
  }
  return key;
}

/**
 * The sidecar and the task act on queries that move HAProxy traffic; without a key those queries
 * can be forged by anyone who reaches the gossip port. They start unencrypted only when asked to.
 */
export function requireEncryption(f: Flags, gossip: GossipConfig): GossipConfig {
  if (gossip.encryptKey !== null || gossip.insecure) return gossip;
  f.fail(
    "refusing to start without gossip encryption: pass --encrypt <key> (from 'shoal keygen', " +
      "the same key on every node) or --insecure (anyone who can reach the gossip port could " +
      "then add or remove HAProxy servers)",
  );
}

/** The gossip settings from the shared flags (`--node` defaults to the hostname). */
export function gossipConfig(f: Flags, deps: ConfigDeps): GossipConfig {
  const node = f.string("node") ?? deps.hostname();
  if (!NODE_NAME.test(node)) {
    f.fail(`invalid ${f.origin("node")} ${JSON.stringify(node)}: use 1-128 of A-Z a-z 0-9 _ . : -`);
  }
  const join = f.list("join").map((addr) => {
    try {
      return formatHostPort(parseHostPort(addr, { defaultPort: DEFAULT_GOSSIP_PORT }));
    } catch (err) {
      if (!(err instanceof AddressParseError)) throw err;
      f.fail(`invalid ${f.origin("join")}: ${err.message}`);
    }
  });
  return {
    node,
    bind: f.endpoint("bind")!,
    advertise: f.endpoint("advertise"),
    join,
    tags: f.tags("tag"),
    encryptKey: encryptKey(f),
    insecure: f.resolved.values.get("insecure") === true,
    rpcAddr: f.endpoint("rpc-addr"),
    rpcAuth: f.string("rpc-auth"),
    snapshotDir: f.string("snapshot-dir"),
    profile: (f.string("profile") ?? "lan") as GossipConfig["profile"],
    reconnectTimeoutMs: f.number("reconnect-timeout")!,
    tombstoneTimeoutMs: f.number("tombstone-timeout")!,
    metricsAddr: f.endpoint("metrics-addr"),
  };
}
