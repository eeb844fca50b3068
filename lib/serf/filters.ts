/**
 * Query filters (wire spec §7.9): whether a node should process a query, and which members are
 * expected to answer one.
 *
 * @example
 * ```ts
 * import { encodeTagFilter } from "./internal_messages.ts";
 * import { filtersMatch } from "./filters.ts";
 * const f = [encodeTagFilter("role", "web")];
 * console.assert(filtersMatch(f, "a", new Map([["role", "webserver"]])));
 * ```
 *
 * @module
 */

import { SerfDecodeError } from "./errors.ts";
import { goRegexpMatches } from "./go_regexp.ts";
import { decodeFilter, encodeNodeFilter, encodeTagFilter } from "./internal_messages.ts";
import { type Member, MemberStatus } from "./members.ts";

/**
 * True when every filter passes for a node named `name` with `tags`. An undecodable or unknown
 * filter, or an unusable regexp, fails (serf does not process such a query).
 */
export function filtersMatch(
  filters: readonly Uint8Array[],
  name: string,
  tags: ReadonlyMap<string, string>,
): boolean {
  for (const raw of filters) {
    let f;
    try {
      f = decodeFilter(raw);
    } catch (err) {
      if (err instanceof SerfDecodeError) return false; // a filter we cannot read matches nothing
      throw err;
    }
    if (f.kind === "node" && !f.names.includes(name)) return false;
    if (f.kind === "tag" && !goRegexpMatches(f.expr, tags.get(f.tag) ?? "")) return false;
  }
  return true;
}

/** Encodes node and tag filters as serf's query does: the node filter first, then one per tag. */
export function buildFilters(
  nodes: readonly string[] | undefined,
  tags: ReadonlyMap<string, string> | undefined,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (nodes !== undefined && nodes.length > 0) out.push(encodeNodeFilter(nodes));
  for (const [tag, expr] of tags ?? []) out.push(encodeTagFilter(tag, expr));
  return out;
}

/** The alive members that pass `filters`: the nodes expected to answer a query. */
export function expectedResponders(
  members: readonly Member[],
  filters: readonly Uint8Array[],
): Set<string> {
  return new Set(
    members
      .filter((m) => m.status === MemberStatus.Alive && filtersMatch(filters, m.name, m.tags))
      .map((m) => m.name),
  );
}
