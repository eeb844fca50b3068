/**
 * Slot mode: a backend whose configuration declares `server-template <prefix>slot 1-N ...` is
 * filled by pointing free slots at tasks (`set server B/<prefix>slotK addr A port P`, then
 * `state ready`) instead of `add server`. Slots are configuration servers, so HAProxy's own
 * `server-state-file` carries their addresses, weights and states across a reload or restart
 * (the reconciler keeps that file current; see {@linkcode StateFileWriter}). Pure.
 *
 * A slot belongs to the desired server with its address and port (and, when the backend has a
 * backup template `<prefix>bslot`, the matching kind: backup servers in backup slots); a slot in
 * maintenance that no desired server has, or whose server is draining (its drain is over), is
 * free. The plan is computed on a view where each occupied slot carries its desired server's
 * name, so {@linkcode planReconcile} works unchanged, and its steps are then turned into slot
 * commands here. A new server's slot is chosen by {@linkcode pickFreeSlot}.
 *
 * @module
 */

import {
  type Command,
  enableHealthCommand,
  setAddrCommand,
  setHealthDownCommand,
  setStateCommand,
  setWeightCommand,
  shutdownSessionsCommand,
} from "./commands.ts";
import { HaproxyError } from "./errors.ts";
import type { DesiredServer, ObservedServer, PlanStep } from "./plan.ts";
import { serverIdFor } from "./names.ts";
import { sameIp } from "./validate.ts";

const SLOT = /^(b?)slot([0-9]{1,6})$/;

/**
 * True when `name` is a slot of `server-template <prefix>slot 1-N` (`<prefix>slot<digits>`) or
 * of the backup template `server-template <prefix>bslot 1-N ... backup` (`<prefix>bslot<digits>`).
 */
export function isSlotName(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && SLOT.test(name.slice(prefix.length));
}

/** True for a slot of the backup template, `<prefix>bslot<digits>`. */
export function isBackupSlot(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && SLOT.exec(name.slice(prefix.length))?.[1] === "b";
}

/** Slot counts of a backend: the highest number of each template (0: no such template). */
export interface SlotCounts {
  readonly normal: number;
  readonly backup: number;
}

/** True when the backend's servers include slots: it is managed in slot mode. */
export function hasSlots(rows: readonly { readonly name: string }[], prefix: string): boolean {
  return rows.some((r) => isSlotName(r.name, prefix));
}

/** A backend's slots as the plan sees them. */
export interface SlotView {
  /** The desired servers the plan works on (duplicates of an endpoint dropped). */
  readonly desired: readonly DesiredServer[];
  /** Servers as the plan sees them: occupied slots under their desired server's name. */
  readonly observed: readonly ObservedServer[];
  /** Plan name → slot name, for occupied slots. */
  readonly slotOf: ReadonlyMap<string, string>;
  /** Slot name → the slot has health checks configured. */
  readonly checked: ReadonlyMap<string, boolean>;
  /** Free slots, in configuration order. */
  readonly free: readonly string[];
  /** The highest slot number of each template (`server-template ... 1-N`: N). */
  readonly counts: SlotCounts;
}

function endpointMatches(d: DesiredServer, s: { addr: string; port: number }): boolean {
  return d.port === s.port && sameIp(d.addr, s.addr);
}

/**
 * Maps a slot backend's servers onto its desired servers. A desired server named like a slot (a
 * slot adopted at start-up, before its task answered) is dropped when another desired server has
 * the same endpoint: the task's own entry takes the slot over.
 */
export function viewSlots(
  desired: readonly DesiredServer[],
  rows: readonly ObservedServer[],
  prefix: string,
): SlotView {
  const counts = slotCounts(rows, prefix);
  // With a backup template, backup servers live in backup slots and the others in normal ones.
  const poolMatches = (d: DesiredServer, slot: string) =>
    counts.backup === 0 || (d.backup === true) === isBackupSlot(slot, prefix);
  const wanted = desired.filter((d) =>
    !isSlotName(d.name, prefix) ||
    !desired.some((o) => o !== d && !isSlotName(o.name, prefix) && endpointMatches(o, d))
  );
  const observed: ObservedServer[] = [];
  const slotOf = new Map<string, string>();
  const checked = new Map<string, boolean>();
  const free: string[] = [];
  const taken = new Set<string>();
  for (const row of rows) {
    if (!isSlotName(row.name, prefix)) {
      observed.push(row);
      taken.add(row.name);
    }
  }
  for (const row of rows) {
    if (!isSlotName(row.name, prefix)) continue;
    checked.set(row.name, row.checkConfigured);
    // A draining server's slot in maintenance is drained: free, so the server counts as gone.
    const owner = wanted.find((d) =>
      !taken.has(d.name) && endpointMatches(d, row) && poolMatches(d, row.name) &&
      !(d.state === "drain" && row.admin === "maint")
    );
    if (owner !== undefined) {
      taken.add(owner.name);
      slotOf.set(owner.name, row.name);
      // Check options come from the template: never a reason to replace the server.
      observed.push({
        ...row,
        name: owner.name,
        checkConfigured: owner.check !== undefined,
        checkEnabled: true,
      });
    } else if (row.admin === "maint") {
      free.push(row.name);
    } else {
      // Serving, but nobody wants it (yet): seen under its own name, so it is adopted or removed.
      slotOf.set(row.name, row.name);
      observed.push({ ...row, checkEnabled: true });
    }
  }
  return { desired: wanted, observed, slotOf, checked, free, counts };
}

/** The highest slot number of each template among `rows`. */
export function slotCounts(rows: readonly { readonly name: string }[], prefix: string): SlotCounts {
  let normal = 0;
  let backup = 0;
  for (const { name } of rows) {
    if (!isSlotName(name, prefix)) continue;
    if (isBackupSlot(name, prefix)) backup = Math.max(backup, slotNumber(name, prefix));
    else normal = Math.max(normal, slotNumber(name, prefix));
  }
  return { normal, backup };
}

function slotNumber(name: string, prefix: string): number {
  return Number(SLOT.exec(name.slice(prefix.length))?.[2]);
}

/**
 * The free slot a new server takes: the first free one at or after the slot its name hashes to
 * (`1 + hash(name) mod count`), wrapping around. Every sidecar makes the same choice for the
 * same task when its slot is free, so the same task sits in the same slot (server id) of every
 * HAProxy and a consistent-hash ring keyed by id agrees between them; when two tasks hash to the
 * same slot, the order they arrived in decides which one probes further. With a backup template,
 * a `backup` server takes a backup slot, the others a normal one.
 *
 * @example
 * ```ts
 * import { pickFreeSlot } from "./slots.ts";
 * const free = ["shoal-slot1", "shoal-slot2", "shoal-slot3"];
 * const counts = { normal: 3, backup: 0 };
 * const t1 = { name: "shoal-t1" };
 * const a = pickFreeSlot(free, t1, "shoal-", counts);
 * console.assert(a === pickFreeSlot([...free].reverse(), t1, "shoal-", counts));
 * ```
 */
export function pickFreeSlot(
  free: readonly string[],
  server: { readonly name: string; readonly backup?: boolean | undefined },
  prefix: string,
  counts: SlotCounts,
): string | undefined {
  const backup = counts.backup > 0 && server.backup === true;
  const pool = free.filter((slot) => counts.backup === 0 || isBackupSlot(slot, prefix) === backup);
  const count = backup ? counts.backup : counts.normal;
  if (pool.length === 0 || count <= 0) return pool[0];
  const home = 1 + serverIdFor(server.name) % count;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const slot of pool) {
    const distance = (slotNumber(slot, prefix) - home + count) % count;
    if (distance < bestDistance) [best, bestDistance] = [slot, distance];
  }
  return best;
}

/** Thrown (as a step's error) when a slot backend has no free slot for a new server. */
export class NoFreeSlotError extends HaproxyError {
  /** The backend that is full. */
  readonly backend: string;
  constructor(backend: string) {
    super(
      `No free slot in backend ${backend}: raise the server-template's count (or add the ` +
        `backup template for backup servers) and reload`,
    );
    this.name = "NoFreeSlotError";
    this.backend = backend;
  }
}

/**
 * The slot commands of one plan step; `free` is consumed by adds ({@linkcode pickFreeSlot}).
 * Removal puts the slot in maintenance (with its sessions shut down when the step says so), which
 * frees it. Throws {@linkcode NoFreeSlotError} when an add finds no free slot.
 */
export function slotStepCommands(
  step: PlanStep,
  view: SlotView,
  free: string[],
  prefix: string,
): Command[] {
  const b = step.backend;
  const slotFor = (name: string) => view.slotOf.get(name) ?? name;
  switch (step.kind) {
    case "add":
    case "replace": {
      const slot = step.kind === "replace"
        ? view.slotOf.get(step.server.name)
        : pickFreeSlot(free, step.server, prefix, view.counts);
      if (slot === undefined) throw new NoFreeSlotError(b);
      if (step.kind === "add") free.splice(free.indexOf(slot), 1);
      const s = step.server;
      return [
        setAddrCommand(b, slot, s.addr, s.port),
        setWeightCommand(b, slot, s.weight),
        ...readySlot(b, slot, view.checked.get(slot) === true),
      ];
    }
    case "enableHealth":
      return [enableHealthCommand(b, slotFor(step.name))];
    case "ready": {
      const slot = slotFor(step.name);
      return readySlot(b, slot, step.healthDown && view.checked.get(slot) === true);
    }
    case "setWeight":
      return [setWeightCommand(b, slotFor(step.name), step.weight)];
    case "drain":
      return [setStateCommand(b, slotFor(step.name), "drain")];
    case "maint":
    case "delete": {
      const slot = slotFor(step.name);
      return step.shutdownSessions
        ? [setStateCommand(b, slot, "maint"), shutdownSessionsCommand(b, slot)]
        : [setStateCommand(b, slot, "maint")];
    }
  }
}

/** `state ready`, then (checked slots) `health down`: traffic only once a check passed. */
function readySlot(backend: string, slot: string, healthDown: boolean): Command[] {
  const ready = setStateCommand(backend, slot, "ready");
  return healthDown ? [ready, setHealthDownCommand(backend, slot)] : [ready];
}
