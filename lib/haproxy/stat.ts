/**
 * Parser for `show stat` CSV. Columns are mapped by the `# ` header's names; HAProxy names
 * cannot contain `,` or `"`, so splitting on commas is safe.
 *
 * @module
 */

import { HaproxyProtocolError } from "./errors.ts";

/** One CSV line of `show stat`, with the commonly used columns typed. */
export interface StatRow {
  /** `pxname`: the proxy (backend or frontend). */
  readonly proxy: string;
  /** `svname`: the server, or `FRONTEND` / `BACKEND`. */
  readonly service: string;
  /** `type`: what the line describes (a server may be named `BACKEND`, so use this). */
  readonly kind: StatKind;
  /** `status`: `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, `UP 1/3`, ... */
  readonly status: string;
  /** Current sessions. */
  readonly scur: number;
  /** Requests queued on this server. */
  readonly qcur: number;
  /** Effective weight (lower during slowstart). */
  readonly weight: number;
  /** Total sessions so far. */
  readonly stot: number;
  /** Every column by header name, as text. */
  readonly fields: ReadonlyMap<string, string>;
}

/** What a `show stat` line describes, from its `type` column. */
export type StatKind = "frontend" | "backend" | "server" | "listener" | "unknown";

const KINDS: Record<string, StatKind> = {
  "0": "frontend",
  "1": "backend",
  "2": "server",
  "3": "listener",
};

/** Most CSV lines accepted from one reply. */
export const STAT_ROWS_MAX = 100_000;

/**
 * Parses a `show stat` reply.
 *
 * @example
 * ```ts
 * import { parseStat } from "./stat.ts";
 * const rows = parseStat("# pxname,svname,qcur,scur,status,\nbe,s1,0,2,UP,\n\n");
 * console.assert(rows[0]?.scur === 2);
 * ```
 */
export function parseStat(text: string): StatRow[] {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  if (!header.startsWith("# ")) {
    throw new HaproxyProtocolError("'show stat' reply has no CSV header");
  }
  const names = header.slice(2).split(",");
  for (const required of ["pxname", "svname"]) {
    if (!names.includes(required)) {
      throw new HaproxyProtocolError(`'show stat' lacks column ${required}`);
    }
  }
  const rows: StatRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    if (rows.length >= STAT_ROWS_MAX) {
      throw new HaproxyProtocolError(`More than ${STAT_ROWS_MAX} lines in one 'show stat' reply`);
    }
    const cells = line.split(",");
    const fields = new Map<string, string>();
    names.forEach((name, at) => {
      if (name !== "") fields.set(name, cells[at] ?? "");
    });
    rows.push({
      proxy: fields.get("pxname")!,
      service: fields.get("svname")!,
      kind: KINDS[fields.get("type") ?? ""] ?? "unknown",
      status: fields.get("status") ?? "",
      scur: count(fields.get("scur")),
      qcur: count(fields.get("qcur")),
      weight: count(fields.get("weight")),
      stot: count(fields.get("stot")),
      fields,
    });
  }
  return rows;
}

function count(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new HaproxyProtocolError(`Bad number ${JSON.stringify(text)}`);
  return n;
}
