/**
 * `add server B/S ADDR:PORT [keywords]` of the simulated HAProxy: the keywords shoal sends
 * (`id`, `weight`, `check`, `inter`, `rise`, `fall`, `downinter`, `slowstart`, `backup`) and
 * `enabled` / `disabled`, with HAProxy's replies for the errors shoal can meet.
 *
 * @module
 */

import { type HaproxyFlavour, type SimServer, WEIGHT_MAX } from "./model.ts";

/** An error reply; `newline` false for the texts 2.6 prints without a trailing newline. */
export class Reply extends Error {
  constructor(message: string, readonly newline = true) {
    super(message);
  }
}

/** What {@linkcode newServer} needs besides the words. */
export interface NewServerContext {
  readonly backend: string;
  readonly name: string;
  readonly flavour: HaproxyFlavour;
  /** Ids in use in the backend, and the server holding each. */
  readonly ids: ReadonlyMap<number, string>;
  readonly nowMs: number;
}

/** HAProxy's time format: a number of `us`, `ms` (the default), `s`, `m`, `h` or `d`; NaN otherwise. */
export function durationMs(text: string): number {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (!m) return NaN;
  const unit = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"]!;
  return Number(m[1]) * unit;
}

/** The server `add server` creates from words 1.. (address and keywords); throws a {@linkcode Reply}. */
export function newServer(w: readonly string[], o: NewServerContext): SimServer {
  const endpoint = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$/.exec(w[1] ?? "");
  if (!endpoint) throw new Reply(`unsupported address ${JSON.stringify(w[1] ?? "")}`);
  const kw = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 2; i < w.length; i++) {
    const k = w[i]!;
    if (["check", "enabled", "disabled", "backup"].includes(k)) flags.add(k);
    else if (["id", "weight", "inter", "rise", "fall", "downinter", "slowstart"].includes(k)) {
      kw.set(k, w[++i] ?? "");
    } else throw new Reply(`unknown keyword '${k}'`);
  }
  if (flags.has("enabled") && o.flavour !== "2.6") {
    throw new Reply("'enabled' option is not accepted for dynamic server");
  }
  const weight = Number(kw.get("weight") ?? "1");
  if (!(weight >= 0 && weight <= WEIGHT_MAX)) {
    throw new Reply(`weight of server ${o.name} is not within 0 and ${WEIGHT_MAX} (${weight})..`);
  }
  const ms = (k: string, d: number) => kw.has(k) ? durationMs(kw.get(k)!) : d;
  const inter = ms("inter", 2000);
  const rise = Number(kw.get("rise") ?? 2);
  const fall = Number(kw.get("fall") ?? 3);
  let id = 1; // without `id`, HAProxy takes the lowest free id
  if (kw.has("id")) {
    id = /^\d+$/.test(kw.get("id")!) ? Number(kw.get("id")) : 0;
    if (id <= 0) throw new Reply("'id' : custom id has to be > 0.");
    const holder = o.ids.get(id);
    // the real text names the holder's file and line; a dynamic server has none
    if (holder !== undefined) {
      throw new Reply(`'id' : custom id ${id} already used at (null):0 ('server ${holder}').`);
    }
  } else {
    while (o.ids.has(id)) id++;
  }
  const zombie = flags.has("enabled");
  return {
    backend: o.backend,
    name: o.name,
    id,
    addr: endpoint[1]!.replace(/^\[|\]$/g, ""),
    port: Number(endpoint[2]),
    uweight: weight,
    iweight: weight,
    admin: zombie ? "ready" : "maint",
    checkConfigured: flags.has("check"),
    checkEnabled: false,
    checkPaused: false,
    rise,
    fall,
    interMs: inter,
    downinterMs: ms("downinter", inter),
    health: 0,
    lastCheck: undefined,
    zombie,
    backup: flags.has("backup"),
    sessions: 0,
    totalSessions: 0,
    slowstartMs: ms("slowstart", 0),
    rampFromMs: undefined,
    weighed: false,
    lastChangeMs: o.nowMs,
  };
}
