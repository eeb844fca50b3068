/**
 * Start-up checks: the HAProxy version supports dynamic servers, and each managed backend exists
 * and can take them (its balance algorithm is dynamic).
 *
 * @module
 */

import { hasSlots, slotCounts } from "./slots.ts";
import type { RuntimeClient } from "./client.ts";
import { probeCommands, probeServerName } from "./commands.ts";
import {
  BackendCheckError,
  HaproxyCommandError,
  NoSuchBackendError,
  NotDynamicBackendError,
  ServerAlreadyExistsError,
  UnsupportedVersionError,
} from "./errors.ts";
import { type HaproxyVersion, versionAtLeast } from "./info.ts";

/**
 * How a backend is managed: `dynamic` (`add server`), `slots` (a `server-template`), or
 * `backup-slots` (slots plus a backup template, `<prefix>bslot`, for backup servers).
 */
export type BackendMode = "dynamic" | "slots" | "backup-slots";

/** Throws {@linkcode UnsupportedVersionError} below 2.6, where `add server` is experimental. */
export async function checkVersion(client: RuntimeClient): Promise<HaproxyVersion> {
  const version = await client.version();
  if (!versionAtLeast(version, 2, 6)) throw new UnsupportedVersionError(version.raw);
  return version;
}

/**
 * Checks that `backend` exists and accepts `add server`. The balance algorithm is not visible
 * through the runtime API in a way that covers `hash-type consistent`, so the check asks HAProxy
 * itself: it adds a probe server (weight 0, in maintenance, so it never takes traffic) and deletes
 * it again, with the backend's server `options` so HAProxy judges those too (a refusal is a
 * {@linkcode BackendCheckError} with reason `options` and HAProxy's message). The probe's name ({@linkcode probeServerName}) contains `:`, which no managed server
 * name can, so the probe never deletes a real server. Throws {@linkcode BackendCheckError} saying
 * why the backend cannot be managed. Resolves to the backend's {@linkcode BackendMode}.
 */
export async function checkBackend(
  client: RuntimeClient,
  backend: string,
  prefix: string,
  options: readonly string[] = [],
): Promise<BackendMode> {
  // A slot backend (`server-template <prefix>slot ...`) is filled with `set server`, which any
  // balance algorithm takes; it only has to exist.
  let rows;
  try {
    rows = await client.serversState(backend);
  } catch (err) {
    if (err instanceof NoSuchBackendError) {
      throw new BackendCheckError(backend, "missing", { cause: err });
    }
    throw err;
  }
  if (hasSlots(rows, prefix)) {
    if (options.length === 0) return slotCounts(rows, prefix).backup > 0 ? "backup-slots" : "slots";
    throw new BackendCheckError(backend, "options", {
      detail: "a slot backend's servers take their options from its server-template line",
    });
  }
  const probe = probeCommands(backend, prefix, options);
  for (let attempt = 0; attempt < 2; attempt++) {
    const [added] = await client.executeAll([probe.add]);
    if (added!.ok) {
      await client.execute(probe.del); // a new dynamic server starts in maintenance
      return "dynamic";
    }
    const error = added!.error;
    if (error instanceof NoSuchBackendError) {
      throw new BackendCheckError(backend, "missing", { cause: error });
    }
    if (error instanceof NotDynamicBackendError) {
      throw new BackendCheckError(backend, "not-dynamic", { cause: error });
    }
    if (!(error instanceof ServerAlreadyExistsError)) {
      // Anything else HAProxy says about the options is reported in its own words.
      if (options.length > 0 && error instanceof HaproxyCommandError) {
        const detail = error.reply.trim();
        throw new BackendCheckError(backend, "options", { cause: error, detail });
      }
      throw error;
    }
    // A probe left by a crashed run is removed and the check tried again; a server of that name
    // that does not look like a probe is not ours, so it is left alone.
    if (!await isLeftoverProbe(client, backend, prefix)) throw error;
    for (const result of await client.executeAll([probe.maint, probe.del])) {
      if (!result.ok) throw result.error;
    }
  }
  return "dynamic";
}

/** True when the server named like the probe is one: 127.0.0.1:1 with weight 0. */
async function isLeftoverProbe(
  client: RuntimeClient,
  backend: string,
  prefix: string,
): Promise<boolean> {
  const name = probeServerName(prefix);
  const row = (await client.serversState(backend)).find((r) => r.name === name);
  return row !== undefined && row.addr === "127.0.0.1" && row.port === 1 && row.uweight === 0;
}
