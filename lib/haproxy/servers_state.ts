/**
 * Parser for `show servers state`: format version 1, a `#` header, then one line per server.
 * Columns are found by header name, never by position.
 *
 * @module
 */

import { HaproxyProtocolError } from "./errors.ts";

/** `srv_admin_state` bits. */
export const ADMIN_FMAINT = 0x01;
/** Maintenance inherited through `track`. */
export const ADMIN_IMAINT = 0x02;
/** Maintenance from the configuration (`disabled`). */
export const ADMIN_CMAINT = 0x04;
/** Forced drain (`set server ... state drain`). */
export const ADMIN_FDRAIN = 0x08;
/** Drain inherited through `track`. */
export const ADMIN_IDRAIN = 0x10;
/** Maintenance because a DNS resolution failed. */
export const ADMIN_RMAINT = 0x20;
/** Maintenance because of a host name problem. */
export const ADMIN_HMAINT = 0x40;

/**
 * CMAINT alone is not maintenance: HAProxy sets it with FMAINT for a `disabled` server and keeps
 * it after `state ready`, while the server serves (its `SRV_ADMF_MAINT` mask leaves it out).
 */
const MAINT_MASK = ADMIN_FMAINT | ADMIN_IMAINT | ADMIN_RMAINT | ADMIN_HMAINT;
const DRAIN_MASK = ADMIN_FDRAIN | ADMIN_IDRAIN;

/** `srv_check_state` bits. */
export const CHECK_CONFIGURED = 0x02;
/** Checks are running (after `enable health`). */
export const CHECK_ENABLED = 0x04;
/** Checks are paused (maintenance). */
export const CHECK_PAUSED = 0x08;

/** The administrative view derived from `srv_admin_state`: maintenance wins over drain. */
export type AdminView = "ready" | "drain" | "maint";

/** One server line of `show servers state`. */
export interface ServerStateRow {
  /** Backend name. */
  readonly backend: string;
  /** Server name. */
  readonly name: string;
  /** Address as HAProxy prints it (`-` when unresolved). */
  readonly addr: string;
  /** Server port. */
  readonly port: number;
  /** `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly opState: number;
  /** `srv_admin_state` bit mask. */
  readonly adminState: number;
  /** Maintenance, drain or ready, from the admin mask. */
  readonly admin: AdminView;
  /** User-set weight. */
  readonly uweight: number;
  /** Initial weight. */
  readonly iweight: number;
  /** `srv_check_state` bit mask. */
  readonly checkState: number;
  /** Numeric server id; reused after deletes, so key on the name instead. */
  readonly serverId: number;
}

/** Most server lines accepted from one reply (bounds memory on a hostile or huge reply). */
export const STATE_ROWS_MAX = 100_000;

const REQUIRED = [
  "be_name",
  "srv_id",
  "srv_name",
  "srv_addr",
  "srv_op_state",
  "srv_admin_state",
  "srv_uweight",
  "srv_iweight",
  "srv_check_state",
  "srv_port",
] as const;

/**
 * Parses a `show servers state` reply.
 *
 * @example
 * ```ts
 * import { parseServersState } from "./servers_state.ts";
 * const text = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state " +
 *   "srv_uweight srv_iweight srv_check_state srv_port\n3 be 1 s1 10.0.0.1 2 0 1 1 6 80\n\n";
 * console.assert(parseServersState(text)[0]?.admin === "ready");
 * ```
 */
export function parseServersState(text: string): ServerStateRow[] {
  const lines = text.split("\n");
  if (lines[0]?.trim() !== "1") {
    throw new HaproxyProtocolError(
      `Unsupported 'show servers state' format ${JSON.stringify(lines[0]?.slice(0, 20))}`,
    );
  }
  const header = lines[1] ?? "";
  if (!header.startsWith("# ")) {
    throw new HaproxyProtocolError("'show servers state' reply has no header line");
  }
  const index = columnIndex(header.slice(2).split(" "));
  const rows: ServerStateRow[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    if (rows.length >= STATE_ROWS_MAX) {
      throw new HaproxyProtocolError(`More than ${STATE_ROWS_MAX} servers in one reply`);
    }
    rows.push(toRow(line.split(" "), index));
  }
  return rows;
}

type Index = Record<(typeof REQUIRED)[number], number>;

function columnIndex(names: string[]): Index {
  const index: Partial<Index> = {};
  for (const col of REQUIRED) {
    const at = names.indexOf(col);
    if (at < 0) throw new HaproxyProtocolError(`'show servers state' lacks column ${col}`);
    index[col] = at;
  }
  return index as Index;
}

function toRow(words: string[], ix: Index): ServerStateRow {
  const word = (col: keyof Index): string => {
    const w = words[ix[col]];
    if (w === undefined) throw new HaproxyProtocolError(`'show servers state' row lacks ${col}`);
    return w;
  };
  const int = (col: keyof Index): number => {
    const n = Number(word(col));
    if (!Number.isInteger(n)) throw new HaproxyProtocolError(`Bad ${col} in 'show servers state'`);
    return n;
  };
  const adminState = int("srv_admin_state");
  return {
    backend: word("be_name"),
    name: word("srv_name"),
    addr: word("srv_addr"),
    port: int("srv_port"),
    opState: int("srv_op_state"),
    adminState,
    admin: adminView(adminState),
    uweight: int("srv_uweight"),
    iweight: int("srv_iweight"),
    checkState: int("srv_check_state"),
    serverId: int("srv_id"),
  };
}

/** Maps an admin bit mask to maintenance, drain or ready. */
export function adminView(adminState: number): AdminView {
  if (adminState & MAINT_MASK) return "maint";
  if (adminState & DRAIN_MASK) return "drain";
  return "ready";
}
