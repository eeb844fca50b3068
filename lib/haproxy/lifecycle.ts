/**
 * Single-server operations for callers that do not run a {@linkcode Reconciler}: idempotent add,
 * graceful drain-and-delete, and immediate removal.
 *
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import type { RuntimeClient } from "./client.ts";
import { type AddServerSpec, type Command, delServerCommand, setStateCommand } from "./commands.ts";
import { NoSuchServerError, ServerAlreadyExistsError, StillHasConnectionsError } from "./errors.ts";
import { addSequence, deleteSequence, sleep } from "./executor.ts";
import { parseIp, validateName } from "./validate.ts";

/** What {@linkcode addServer} did. */
export type AddOutcome = "added" | "unchanged" | "replaced";

/**
 * Adds a server (`add server`, `enable health` when checked, then ready so that traffic starts
 * only after its checks pass). Adding a server that exists with the same address is a no-op;
 * with another address the old one is removed at once and the new one added.
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
  if (row && row.port === spec.port && sameIp(row.addr, spec.addr)) return "unchanged";
  await removeServerNow(client, spec.backend, spec.name);
  await runAll(client, sequence);
  return "replaced";
}

/** Settings of {@linkcode drainServer}. */
export interface DrainOptions {
  /** Longest wait for sessions to end before they are shut down. @default 30000 */
  timeoutMs?: number;
  /** Interval between `show stat` polls. @default 100 */
  pollMs?: number;
  /** @default systemClock */
  /** Time source for the deadline and polls. */
  clock?: Clock;
}

/** What {@linkcode drainServer} did. */
export interface DrainOutcome {
  /** True when the deadline passed and remaining sessions were shut down. */
  readonly forced: boolean;
}

/**
 * Drains a server gracefully: `state drain`, waits until its current and queued sessions are
 * zero (or the deadline), then `maint`, `shutdown sessions` if the deadline passed, and
 * `del server` (retried while HAProxy says it still has connections). Throws
 * {@linkcode NoSuchServerError} if the server does not exist when the drain starts.
 */
export async function drainServer(
  client: RuntimeClient,
  target: { backend: string; name: string },
  options: DrainOptions = {},
): Promise<DrainOutcome> {
  const clock = options.clock ?? systemClock;
  const backend = validateName("backend", target.backend);
  const name = validateName("server", target.name);
  const deadlineMs = clock.nowMs() + (options.timeoutMs ?? 30_000);
  await client.execute(setStateCommand(backend, name, "drain"));
  let forced = true;
  while (clock.nowMs() < deadlineMs) {
    const row = (await client.stat(backend)).find((r) => r.service === name);
    if (!row) return { forced: false }; // deleted by someone else meanwhile
    if (row.scur === 0 && row.qcur === 0) {
      forced = false;
      break;
    }
    await sleep(clock, Math.min(options.pollMs ?? 100, Math.max(1, deadlineMs - clock.nowMs())));
  }
  await removeWithRetries(client, backend, name, forced, clock);
  return { forced };
}

/** Removes a server at once: `maint`, `shutdown sessions`, `del server`. Gone already is fine. */
export async function removeServerNow(
  client: RuntimeClient,
  backend: string,
  name: string,
  clock: Clock = systemClock,
): Promise<void> {
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

function sameIp(a: string, b: string): boolean {
  try {
    return parseIp(a).text === parseIp(b).text;
  } catch {
    return false;
  }
}
