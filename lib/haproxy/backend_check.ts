/**
 * Start-up checks: the HAProxy version supports dynamic servers, and each managed backend exists
 * and can take them (its balance algorithm is dynamic).
 *
 * @module
 */

import type { RuntimeClient } from "./client.ts";
import { addServerCommand, delServerCommand, setStateCommand } from "./commands.ts";
import {
  BackendCheckError,
  NoSuchBackendError,
  NotDynamicBackendError,
  ServerAlreadyExistsError,
  UnsupportedVersionError,
} from "./errors.ts";
import { type HaproxyVersion, versionAtLeast } from "./info.ts";

/** Name of the short-lived server used to ask HAProxy whether a backend takes dynamic servers. */
export function probeName(prefix: string): string {
  return `${prefix}capability-probe`;
}

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
 * it again. Throws {@linkcode BackendCheckError} saying why the backend cannot be managed.
 */
export async function checkBackend(
  client: RuntimeClient,
  backend: string,
  prefix: string,
): Promise<void> {
  const name = probeName(prefix);
  for (let attempt = 0; attempt < 2; attempt++) {
    const [added] = await client.executeAll([
      addServerCommand({ backend, name, addr: "127.0.0.1", port: 1, weight: 0 }),
      setStateCommand(backend, name, "maint"),
      delServerCommand(backend, name),
    ]);
    if (added!.ok) return;
    const error = added!.error;
    if (error instanceof NoSuchBackendError) {
      throw new BackendCheckError(backend, "missing", { cause: error });
    }
    if (error instanceof NotDynamicBackendError) {
      throw new BackendCheckError(backend, "not-dynamic", { cause: error });
    }
    // A probe left by a crashed run was just removed by the maint + del above; try again.
    if (!(error instanceof ServerAlreadyExistsError)) throw error;
  }
}
