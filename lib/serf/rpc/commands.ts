/**
 * The agent-RPC commands that act on serf (wire spec §9): members, members-filtered, join, leave,
 * force-leave, event, tags, query, stats, get-coordinate and the key commands.
 *
 * @module
 */

import {
  boolField,
  bytesField,
  intField,
  stringField,
  stringMapField,
  stringsField,
  uintField,
} from "../../gossip/wire/fields.ts";
import { Bin, type EncValue, type MsgValue } from "../../gossip/wire/msgpack.ts";
import { compileGoRegexp } from "../go_regexp.ts";
import { coordinateValue } from "../coordinate/wire.ts";
import { SerfDecodeError } from "../errors.ts";
import { decodeKeyResponse, encodeKeyRequest } from "../internal_messages.ts";
import { MEMBER_STATUS_NAMES, MemberStatus } from "../members.ts";
import type { RpcSession } from "./session.ts";
import { memberRecord } from "./records.ts";
import { errorText } from "../../log/error_text.ts";

/** Runs `command` for `s`; replies through the session. */
export function runCommand(
  s: RpcSession,
  command: string,
  seq: number,
  body: Map<string, MsgValue>,
): void {
  const serf = s.o.serf;
  switch (command) {
    case "members":
      return s.reply(seq, "", { Members: serf.members().map(memberRecord) });
    case "members-filtered":
      return membersFiltered(s, seq, body);
    case "join": {
      const existing = stringsField(body, "Existing");
      serf.join(existing, !boolField(body, "Replay")).then(
        (n) => s.reply(seq, "", { Num: n }),
        (e) => s.reply(seq, errorText(e), { Num: 0 }),
      );
      return;
    }
    case "leave":
      serf.leave().then(
        () => (s.reply(seq, ""), s.o.onLeave?.()),
        (e) => s.reply(seq, errorText(e)),
      );
      return;
    case "force-leave":
      return act(
        s,
        seq,
        () => serf.forceLeave(stringField(body, "Node"), boolField(body, "Prune")),
      );
    case "event":
      return act(
        s,
        seq,
        () =>
          serf.userEvent(
            stringField(body, "Name"),
            bytesField(body, "Payload"),
            boolField(body, "Coalesce"),
          ),
      );
    case "tags":
      return act(s, seq, () => {
        const tags = new Map(serf.tags);
        for (const [k, v] of stringMapField(body, "Tags")) tags.set(k, v);
        for (const k of stringsField(body, "DeleteTags")) tags.delete(k);
        serf.setTags(tags);
      });
    case "query":
      return query(s, seq, body);
    case "stats":
      return s.reply(seq, "", stats(s));
    case "get-coordinate": {
      // As the agent: the cached coordinate of any member, else a zero Coordinate and Ok false.
      const c = serf.coordinates?.cached(stringField(body, "Node"));
      const zero = { vec: [], error: 0, adjustment: 0, height: 0 };
      return s.reply(seq, "", { Coord: coordinateValue(c ?? zero), Ok: c !== undefined });
    }
    case "install-key":
    case "use-key":
    case "remove-key":
    case "list-keys":
      return keyCommand(s, seq, command, command === "list-keys" ? "" : stringField(body, "Key"));
  }
}

/**
 * Runs a key command cluster-wide as serf's KeyManager does: the `_serf_<command>` query, every
 * member's nodeKeyResponse tallied. Without encryption every node answers Result false, so the
 * command fails with "N/N nodes reported failure" and their messages, as a Go cluster does.
 */
function keyCommand(s: RpcSession, seq: number, command: string, keyB64: string): void {
  let key: Uint8Array;
  try {
    key = Uint8Array.from(atob(keyB64), (c) => c.charCodeAt(0));
  } catch { // atob throws only InvalidCharacterError: the text is not base64
    return s.reply(
      seq,
      `Invalid key "${keyB64}": not base64`,
      keyBody(new Map(), new Map(), 0, 0, 0),
    );
  }
  const messages = new Map<string, string>();
  const keys = new Map<string, number>();
  let numErr = 0;
  try {
    s.o.serf.query(`_serf_${command}`, encodeKeyRequest(key), {
      onDone: (r) => {
        for (const { from, payload } of r.responses) {
          try {
            const k = decodeKeyResponse(payload);
            if (!k.result) (messages.set(from, k.message), numErr++);
            else if (k.message !== "") messages.set(from, k.message);
            for (const x of k.keys) keys.set(x, (keys.get(x) ?? 0) + 1);
          } catch (err) {
            if (!(err instanceof SerfDecodeError)) throw err;
            (messages.set(from, "Invalid key query response"), numErr++);
          }
        }
        const numNodes = s.o.serf.handle.numActive();
        const numResp = r.responses.length;
        const error = numErr > 0
          ? `${numErr}/${numNodes} nodes reported failure`
          : numResp !== numNodes
          ? `${numResp}/${numNodes} nodes reported success`
          : "";
        s.reply(seq, error, keyBody(messages, keys, numErr, numNodes, numResp));
      },
    });
  } catch (e) {
    s.reply(seq, errorText(e), keyBody(messages, keys, 0, 0, 0));
  }
}

function keyBody(
  messages: Map<string, string>,
  keys: Map<string, number>,
  numErr: number,
  numNodes: number,
  numResp: number,
): EncValue {
  return { Keys: keys, Messages: messages, NumErr: numErr, NumNodes: numNodes, NumResp: numResp };
}

function act(s: RpcSession, seq: number, fn: () => void): void {
  try {
    fn();
    s.reply(seq, "");
  } catch (e) {
    s.reply(seq, errorText(e));
  }
}

/** A pattern anchored as the agent does (`^expr$`); `""` matches anything; `null` is invalid. */
function anchored(expr: string): { test(s: string): boolean } | null {
  return expr === "" ? { test: () => true } : compileGoRegexp(`^${expr}$`);
}

/** members-filtered: name, status and tag regexps; a bad regexp is an error. */
function membersFiltered(s: RpcSession, seq: number, body: Map<string, MsgValue>): void {
  const name = anchored(stringField(body, "Name"));
  const status = anchored(stringField(body, "Status"));
  const tags = [...stringMapField(body, "Tags")].map(([k, v]) => [k, anchored(v)] as const);
  if (name === null || status === null || tags.some(([, re]) => re === null)) {
    return s.reply(seq, "Invalid regular expression", { Members: [] });
  }
  const members = s.o.serf.members().filter((m) =>
    name.test(m.name) && status.test(MEMBER_STATUS_NAMES[m.status]) &&
    tags.every(([k, re]) => re!.test(m.tags.get(k) ?? ""))
  );
  s.reply(seq, "", { Members: members.map(memberRecord) });
}

function query(s: RpcSession, seq: number, body: Map<string, MsgValue>): void {
  // Go durations are int64 ns: beyond 2^53 a bigint, which the query engine then clamps
  const rawTimeout = body.get("Timeout");
  const timeoutNs = typeof rawTimeout === "bigint" ? Number(rawTimeout) : intField(body, "Timeout");
  const record = (type: string, from = "", payload: Uint8Array | null = null): EncValue => ({
    Type: type,
    From: from,
    Payload: payload === null ? null : new Bin(payload),
  });
  let started = false;
  const pending: EncValue[] = [];
  const emit = (r: EncValue) => (started ? s.reply(seq, "", r) : pending.push(r));
  try {
    s.o.serf.query(stringField(body, "Name"), bytesField(body, "Payload"), {
      filterNodes: stringsField(body, "FilterNodes"),
      filterTags: stringMapField(body, "FilterTags"),
      requestAck: boolField(body, "RequestAck"),
      relayFactor: uintField(body, "RelayFactor", 0xff),
      ...(timeoutNs > 0 ? { timeoutMs: timeoutNs / 1e6 } : {}),
      // The Go CLI closes its ack and response channels on "done" and may then miss responses
      // already buffered; the agent only sends "done" at the deadline, so RPC queries do too.
      endEarly: false,
      onAck: (from) => emit(record("ack", from)),
      onResponse: (r) => emit(record("response", r.from, r.payload)),
      onDone: () => emit(record("done")),
    });
  } catch (e) {
    return s.reply(seq, errorText(e));
  }
  s.reply(seq, "");
  started = true;
  for (const r of pending) s.reply(seq, "", r);
}

function stats(s: RpcSession): Record<string, Record<string, string>> {
  const serf = s.o.serf;
  const all = serf.members();
  const count = (st: MemberStatus) => String(all.filter((m) => m.status === st).length);
  const st = serf.stats();
  return {
    agent: { name: serf.localName },
    // shoal runs no agent event handlers (serf lists its `-event-handler` scripts here).
    event_handlers: {},
    runtime: { ...s.o.runtime },
    serf: {
      ...(serf.coordinates ? { coordinate_resets: String(serf.coordinates.client.resets) } : {}),
      members: String(all.length),
      failed: count(MemberStatus.Failed),
      health_score: String(serf.handle.healthScore?.() ?? 0),
      left: count(MemberStatus.Left),
      member_time: String(st.memberTime),
      event_time: String(st.eventTime),
      query_time: String(st.queryTime),
      intent_queue: String(st.intentQueue),
      event_queue: String(st.eventQueue),
      query_queue: String(st.queryQueue),
      encrypted: String(serf.opts.keyring !== undefined),
    },
    tags: Object.fromEntries(serf.tags),
  };
}
