/**
 * Turns plan steps into command sequences and sends them, pipelined, through a
 * {@linkcode RuntimeClient}. Deletes refused with "still has connections" are retried.
 *
 * @module
 */

import { type Clock, sleep } from "../clock.ts";
import type { CommandResult, RuntimeClient } from "./client.ts";
import {
  addServerCommand,
  type Command,
  delServerCommand,
  enableHealthCommand,
  readyAfterChecksCommand,
  setStateCommand,
  setWeightCommand,
  shutdownSessionsCommand,
} from "./commands.ts";
import {
  HaproxyError,
  IdInUseError,
  NoSuchServerError,
  StillHasConnectionsError,
} from "./errors.ts";
import { SERVER_ID_MAX, SERVER_ID_MIN } from "./names.ts";
import type { DesiredServer, PlanStep } from "./plan.ts";

/** Commands that add a server and make it ready, with traffic only after its checks pass. */
export function addSequence(backend: string, server: DesiredServer): Command[] {
  const spec = { backend, ...server };
  const commands = [addServerCommand(spec)];
  if (server.check) {
    commands.push(enableHealthCommand(backend, server.name));
    commands.push(readyAfterChecksCommand(backend, server.name));
  } else {
    commands.push(setStateCommand(backend, server.name, "ready"));
  }
  return commands;
}

/** Commands that take a server out: maintenance, optionally close its sessions, delete. */
export function deleteSequence(
  backend: string,
  name: string,
  shutdownSessions: boolean,
): Command[] {
  return [...maintSequence(backend, name, shutdownSessions), delServerCommand(backend, name)];
}

/** Commands that put a server in maintenance and optionally close its sessions. */
export function maintSequence(
  backend: string,
  name: string,
  shutdownSessions: boolean,
): Command[] {
  const commands = [setStateCommand(backend, name, "maint")];
  if (shutdownSessions) commands.push(shutdownSessionsCommand(backend, name));
  return commands;
}

/**
 * The commands {@linkcode executePlan} sends first for a step. A `replace` here is only the
 * removal of the old server (maintenance, shutdown of its sessions, `del server`); its
 * {@linkcode addSequence} is sent only once the delete has succeeded, because sending it in the
 * same pipeline would, after a refused delete, put the old server back in service.
 */
export function stepCommands(step: PlanStep): Command[] {
  switch (step.kind) {
    case "add":
      return addSequence(step.backend, step.server);
    case "replace":
      return deleteSequence(step.backend, step.server.name, true);
    case "enableHealth":
      return [enableHealthCommand(step.backend, step.name)];
    case "ready":
      return [
        step.healthDown
          ? readyAfterChecksCommand(step.backend, step.name)
          : setStateCommand(step.backend, step.name, "ready"),
      ];
    case "setWeight":
      return [setWeightCommand(step.backend, step.name, step.weight)];
    case "drain":
      return [setStateCommand(step.backend, step.name, "drain")];
    case "maint":
      return maintSequence(step.backend, step.name, step.shutdownSessions === true);
    case "delete":
      return deleteSequence(step.backend, step.name, step.shutdownSessions);
  }
}

/** The outcome of one step. */
export interface StepOutcome {
  /** The step that was sent. */
  readonly step: PlanStep;
  /** Undefined when every command of the step succeeded. */
  readonly error?: HaproxyError;
}

/** Settings of {@linkcode executePlan}. */
export interface ExecuteOptions {
  /** Time source for the pauses between delete retries. */
  clock: Clock;
  /** Extra `del server` attempts after "still has connections". @default 3 */
  deleteRetries?: number;
  /** Pause before each retry. @default 100 */
  deleteRetryDelayMs?: number;
  /**
   * Aborted when the caller stops (a stopping reconciler): delete retries still to come are
   * skipped, and those steps keep their "still has connections" error.
   */
  signal?: AbortSignal | undefined;
  /**
   * The commands of a step when they are not {@linkcode stepCommands}' (a slot backend's), or
   * undefined for the default. A {@linkcode HaproxyError} it throws fails that step alone. Such
   * steps are complete in one pipeline: no delete retries, no separate replacement add.
   */
  commandsFor?: (step: PlanStep) => Command[] | undefined;
}

/**
 * Sends every step's commands in one pipeline and reports each step's outcome. A delete that
 * finds the server already gone counts as done; a delete (or a replace's delete) refused with
 * "still has connections" is retried. A replace then adds its new server only if the old one is
 * gone; otherwise the step fails and the old server stays in maintenance until the next pass.
 */
export async function executePlan(
  client: RuntimeClient,
  steps: readonly PlanStep[],
  options: ExecuteOptions,
): Promise<StepOutcome[]> {
  const custom = new Set<number>();
  const refused = new Map<number, HaproxyError>();
  const sequences = steps.map((step, i) => {
    try {
      const own = options.commandsFor?.(step);
      if (own === undefined) return stepCommands(step);
      custom.add(i);
      return own;
    } catch (err) {
      if (!(err instanceof HaproxyError)) throw err;
      refused.set(i, err);
      return [];
    }
  });
  const results = await client.executeAll(sequences.flat());
  let at = 0;
  const outcomes: StepOutcome[] = steps.map((step, i) => {
    const mine = results.slice(at, at += sequences[i]!.length);
    const error = refused.get(i);
    return error ? { step, error } : { step, ...stepError(step, mine) };
  });
  const plain = (_o: StepOutcome, i: number) => !custom.has(i) && !refused.has(i);
  await retryDeletes(client, outcomes, options, plain);
  await addReplacements(client, outcomes, plain);
  await retryTakenIds(client, outcomes, plain);
  return outcomes;
}

/** Most ids tried for one server before its add fails with {@linkcode IdInUseError}. */
export const ID_ATTEMPTS_MAX = 16;

/** The id tried after `id`: the next one, wrapping inside shoal's id range. */
export function nextServerId(id: number): number {
  return id >= SERVER_ID_MAX || id < SERVER_ID_MIN ? SERVER_ID_MIN : id + 1;
}

/**
 * Adds whose id was taken (by a configuration server, or a task whose name hashed to the same
 * id) are sent again with the next id, up to {@linkcode ID_ATTEMPTS_MAX} ids in all. Every
 * sidecar probes the same sequence, so a collision only makes the ids depend on the order in
 * which the colliding servers were added.
 */
async function retryTakenIds(
  client: RuntimeClient,
  outcomes: StepOutcome[],
  plain: Filter,
): Promise<void> {
  for (let attempt = 1; attempt < ID_ATTEMPTS_MAX; attempt++) {
    const taken = outcomes.flatMap((o, i) =>
      plain(o, i) && (o.step.kind === "add" || o.step.kind === "replace") &&
        o.error instanceof IdInUseError && o.step.server.id !== undefined
        ? [i]
        : []
    );
    if (taken.length === 0) return;
    const sequences = taken.map((i) => {
      const step = outcomes[i]!.step as Extract<PlanStep, { kind: "add" | "replace" }>;
      const server = { ...step.server, id: nextServerId(step.server.id!) };
      outcomes[i] = { step: { ...step, server } };
      return addSequence(step.backend, server);
    });
    const results = await client.executeAll(sequences.flat());
    let at = 0;
    taken.forEach((i, k) => {
      const failed = results.slice(at, at += sequences[k]!.length).find((r) => !r.ok);
      if (failed && !failed.ok) outcomes[i] = { step: outcomes[i]!.step, error: failed.error };
    });
  }
}

function removes(step: PlanStep): step is Extract<PlanStep, { kind: "delete" | "replace" }> {
  return step.kind === "delete" || step.kind === "replace";
}

function stepError(step: PlanStep, results: CommandResult[]): { error?: HaproxyError } {
  for (const result of results) {
    if (result.ok) continue;
    if (removes(step) && result.error instanceof NoSuchServerError) continue;
    return { error: result.error };
  }
  return {};
}

type Filter = (o: StepOutcome, i: number) => boolean;

async function retryDeletes(
  client: RuntimeClient,
  outcomes: StepOutcome[],
  options: ExecuteOptions,
  plain: Filter,
): Promise<void> {
  const retries = options.deleteRetries ?? 3;
  for (let attempt = 0; attempt < retries; attempt++) {
    const busy = outcomes.flatMap((o, i) =>
      plain(o, i) && removes(o.step) && o.error instanceof StillHasConnectionsError ? [i] : []
    );
    if (busy.length === 0) break;
    const delayMs = options.deleteRetryDelayMs ?? 100;
    if (!await sleep(options.clock, delayMs, { signal: options.signal })) break;
    const commands = busy.map((i) => {
      const step = outcomes[i]!.step;
      return delServerCommand(step.backend, "server" in step ? step.server.name : step.name);
    });
    const results = await client.executeAll(commands);
    busy.forEach((i, k) => {
      outcomes[i] = { step: outcomes[i]!.step, ...stepError(outcomes[i]!.step, [results[k]!]) };
    });
  }
}

async function addReplacements(
  client: RuntimeClient,
  outcomes: StepOutcome[],
  plain: Filter,
): Promise<void> {
  const ready = outcomes.flatMap((o, i) =>
    plain(o, i) && o.step.kind === "replace" && !o.error ? [i] : []
  );
  if (ready.length === 0) return;
  const sequences = ready.map((i) => {
    const step = outcomes[i]!.step as Extract<PlanStep, { kind: "replace" }>;
    return addSequence(step.backend, step.server);
  });
  const results = await client.executeAll(sequences.flat());
  let at = 0;
  ready.forEach((i, k) => {
    const mine = results.slice(at, at += sequences[k]!.length);
    const failed = mine.find((r) => !r.ok);
    if (failed && !failed.ok) outcomes[i] = { step: outcomes[i]!.step, error: failed.error };
  });
}
