/**
 * The vocabulary of the sidecar's {@linkcode Registry} (`registry.ts`): its settings, what an
 * announce carries, and its answer.
 *
 * @module
 */

import type { CheckOptions } from "../../haproxy/commands.ts";

/** Settings of a {@linkcode Registry}. */
export interface RegistryOptions {
  readonly prefix: string;
  readonly defaultBackend: string;
  readonly backends: readonly string[];
  readonly defaultWeight: number;
  readonly slowstartMs: number;
  readonly check: CheckOptions;
  /** How long adopted servers nobody claims are kept. */
  readonly orphanGraceMs: number;
  /**
   * The sidecar's zone (`--zone`): tasks of another zone, or of none, become `backup` servers.
   * Absent or null: every task is a normal server.
   */
  readonly zone?: string | null;
  /** Backend → extra `add server` keywords (`--server-options`). */
  readonly serverOptions?: ReadonlyMap<string, readonly string[]>;
}

/** The gossip view of the node that sent an announce. */
export interface AnnouncingMember {
  readonly name: string;
  /** Gossip address (IP literal): where HAProxy will connect. */
  readonly host: string;
  readonly status: "alive" | "leaving" | "left" | "failed" | "none";
  /** The member's `zone` tag, if it has one. */
  readonly zone?: string | undefined;
}

/** The fields of an `AnnounceRequest` the registry uses. */
export interface AnnounceFields {
  readonly port: number;
  readonly backend: string;
  readonly state: string;
  readonly weight?: number | undefined;
}

/** The registry's answer to an announce. */
export type AnnounceVerdict =
  | {
    readonly accepted: true;
    readonly server: string;
    readonly backend: string;
    /**
     * False when the announce left the registry as it was (a re-announce of the same server);
     * absent means changed.
     */
    readonly changed?: boolean;
  }
  | { readonly accepted: false; readonly reason: string };

/**
 * Backend names that mean "no backend named" (use the sidecar's default): empty, and the literal
 * `<none_backend>` the Go shoal's task sends when started without `--backend`.
 */
export const NO_BACKEND_NAMED: ReadonlySet<string> = new Set(["", "<none_backend>"]);
