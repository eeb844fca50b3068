/**
 * Single-server operations for callers that do not run a {@linkcode Reconciler}: idempotent add,
 * graceful drain-and-delete, and immediate removal.
 *
 * @module
 */

import { type Clock, sleep } from "../clock.ts";
import type { RuntimeClient } from "./client.ts";
import { type AddServerSpec, type Command, delServerCommand, setStateCommand } from "./commands.ts";
import { NoSuchServerError, ServerAlreadyExistsError, StillHasConnectionsError } from "./errors.ts";
import { addSequence, deleteSequence, maintSequence, stepCommands } from "./executor.ts";
import { type PlanStep, REMOVE_DELAY_MS, REMOVE_SETTLE_MS } from "./plan.ts";
import { CHECK_CONFIGURED, CHECK_ENABLED, type ServerStateRow } from "./servers_state.ts";
import { sameIp, validateName } from "./validate.ts";

/**
 * What {@linkcode addServer} did: `updated` means the server existed with the same address and
 * checks, and its state (maintenance or drain) or weight was brought back to the spec.
 */
export type AddOutcome = "added" | "unchanged" | "updated" | "replaced";

/**
 * Adds a server (`add server`, `enable health` when checked, then ready so that traffic starts
 * only after its checks pass). A server that exists with the same address and check setting is
 * made ready with the spec's weight if it is not (a no-op when it already is); with another
 * address or check setting the old one is removed at once and the new one added.
 */
export async function addServer(client: RuntimeClient, spec: AddServerSpec): Promise<AddOutcome> {
  const server = { ...spec, weight: spec.weight ?? 1, state: "ready" as const };
  const sequence = addSequence(spec.backend, server);
  const results = await client.executeAll(sequence.slice(0, 1));
  const first = results[0]!;
  if (!first.ok && !(first.error instanceof ServerAlreadyExistsError)) throw first.error;
  if (first.ok) {
    await runAll(client, sequence.slice(1));
    return "added";
  }
  const rows = await client.serversState(spec.backend);
  const row = rows.find((r) => r.name === spec.name);
  const checked = spec.check !== undefined;
  if (
    row && row.port === spec.port && sameIp(row.addr, spec.addr) &&
    checked === ((row.checkState & CHECK_CONFIGURED) !== 0)
  ) {
    const fixes = catchUp(spec.backend, spec.name, server.weight, checked, row);
    await runAll(client, fixes);
    return fixes.length === 0 ? "unchanged" : "updated";
  }
  await removeServerNow(client, spec.backend, spec.name);
  await runAll(client, sequence);
  return "replaced";
}

/**
 * Commands that bring an existing server to ready with `weight` (none when it already is): the
 * plan's `enableHealth`, `ready` and `setWeight` steps, sent as {@linkcode stepCommands} sends them.
 */
function catchUp(
  backend: string,
  name: string,
  weight: number,
  checked: boolean,
  row: ServerStateRow,
): Command[] {
  const steps: PlanStep[] = [];
  if (checked && (row.checkState & CHECK_ENABLED) === 0) {
    steps.push({ kind: "enableHealth", backend, name });
  }
  if (row.admin !== "ready") {
    steps.push({ kind: "ready", backend, name, healthDown: row.admin === "maint" && checked });
  }
  if (row.uweight !== weight) steps.push({ kind: "setWeight", backend, name, weight });
  return steps.flatMap(stepCommands);
}

/** Settings of {@linkcode drainServer}. */
export interface DrainOptions {
  /** Longest wait for sessions to end before they are shut down. @default 30000 */
  timeoutMs?: number;
  /** Interval between `show stat` polls. @default 100 */
  pollMs?: number;
  /**
   * Pause between maintenance and `del server`, after which sessions are checked again.
   * @default 100
   */
  settleMs?: number;
  /** Time source for the deadline and polls. @default the client's clock */
  clock?: Clock;
}

/** What {@linkcode drainServer} did. */
export interface DrainOutcome {
  /** True when the deadline passed and remaining sessions were shut down. */
  readonly forced: boolean;
}

/**
 * Drains a server gracefully, as the spec's removal sequence says: `state drain`; wait until its
 * current and queued sessions, and the requests queued at the backend, are zero; `state maint`;
 * pause `settleMs` and check again (2.6.12's `del server` races); then `del server`, retried while
 * HAProxy says it still has connections. At the deadline, remaining sessions are shut down
 * first. Throws {@linkcode NoSuchServerError} if the server does not exist when the drain starts.
 */
export async function drainServer(
  client: RuntimeClient,
  target: { backend: string; name: string },
  options: DrainOptions = {},
): Promise<DrainOutcome> {
  const clock = options.clock ?? client.clock;
  const backend = validateName("backend", target.backend);
  const name = validateName("server", target.name);
  const deadlineMs = clock.nowMs() + (options.timeoutMs ?? 30_000);
  const wait = { clock, deadlineMs, pollMs: options.pollMs ?? 100 };
  await client.execute(setStateCommand(backend, name, "drain"));
  let idle = await waitIdle(client, backend, name, wait);
  if (idle === "gone") return { forced: false }; // deleted by someone else meanwhile
  if (idle === "idle") {
    await client.execute(setStateCommand(backend, name, "maint"));
    await sleep(clock, options.settleMs ?? REMOVE_SETTLE_MS);
    idle = await waitIdle(client, backend, name, wait);
    if (idle === "gone") return { forced: false };
  }
  const forced = idle !== "idle";
  await removeWithRetries(client, backend, name, forced, clock);
  return { forced };
}

/** Polls `show stat` until the server and its backend's queue are idle, or the deadline. */
async function waitIdle(
  client: RuntimeClient,
  backend: string,
  name: string,
  { clock, deadlineMs, pollMs }: { clock: Clock; deadlineMs: number; pollMs: number },
): Promise<"idle" | "gone" | "deadline"> {
  for (;;) {
    const rows = await client.stat(backend);
    const row = rows.find((r) => r.kind === "server" && r.service === name);
    if (!row) return "gone";
    const backendQcur = rows.find((r) => r.kind === "backend")?.qcur ?? 0;
    if (row.scur === 0 && row.qcur === 0 && backendQcur === 0) return "idle";
    const leftMs = deadlineMs - clock.nowMs();
    if (leftMs <= 0) return "deadline";
    await sleep(clock, Math.min(pollMs, leftMs));
  }
}

/**
 * Removes a server at once: `maint` and `shutdown sessions` now, `del server` after `delayMs` in
 * maintenance (see {@linkcode REMOVE_DELAY_MS}: HAProxy 2.6 can crash when a server is deleted
 * under streams waiting to retry it). Gone already is fine.
 */
export async function removeServerNow(
  client: RuntimeClient,
  backend: string,
  name: string,
  clock: Clock = client.clock,
  delayMs: number = REMOVE_DELAY_MS,
): Promise<void> {
  const results = await client.executeAll(maintSequence(backend, name, true));
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) {
    if (failed.error instanceof NoSuchServerError) return;
    throw failed.error;
  }
  if (delayMs > 0) await sleep(clock, delayMs);
  await removeWithRetries(client, backend, name, true, clock);
}

const DELETE_ATTEMPTS = 20;
const DELETE_RETRY_MS = 100;

async function removeWithRetries(
  client: RuntimeClient,
  backend: string,
  name: string,
  shutdownSessions: boolean,
  clock: Clock,
): Promise<void> {
  let results = await client.executeAll(deleteSequence(backend, name, shutdownSessions));
  for (let attempt = 1;; attempt++) {
    const failure = results.find((r) => !r.ok && !(r.error instanceof NoSuchServerError));
    if (!failure || failure.ok) return;
    if (!(failure.error instanceof StillHasConnectionsError) || attempt >= DELETE_ATTEMPTS) {
      throw failure.error;
    }
    await sleep(clock, DELETE_RETRY_MS);
    results = await client.executeAll([delServerCommand(backend, name)]);
  }
}

async function runAll(client: RuntimeClient, commands: readonly Command[]): Promise<void> {
  for (const result of await client.executeAll(commands)) {
    if (!result.ok) throw result.error;
  }
}
