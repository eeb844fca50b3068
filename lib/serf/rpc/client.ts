/**
 * A minimal client of serf's agent RPC (msgpack over TCP): handshake, optional auth, and
 * `members-filtered` and `get-coordinate`. Enough for `shoal members` against a shoal node or a
 * real serf agent.
 *
 * @module
 */

import {
  asMap,
  intField,
  stringField,
  stringMapField,
  uintField,
} from "../../gossip/wire/fields.ts";
import { errorText } from "../../log/error_text.ts";
import { joinHostPort } from "../../net/mod.ts";
import { encode, MsgpackTruncatedError, type MsgValue, Reader } from "../../gossip/wire/msgpack.ts";
import type { Coordinate } from "../coordinate/coordinate.ts";
import { coordinateFromMap } from "../coordinate/wire.ts";

/** A member as the RPC reports it. */
export interface RpcMember {
  readonly name: string;
  /** IP literal. */
  readonly addr: string;
  readonly port: number;
  readonly status: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly protocol: { readonly min: number; readonly max: number; readonly cur: number };
}

/** The agent answered with an error, or the connection failed. */
export class RpcClientError extends Error {
  override name = "RpcClientError";
}

/** Largest reply accepted: a members list of thousands of nodes fits easily. */
const REPLY_BYTES_MAX = 16 * 1024 * 1024;

/** A connected RPC client; one request at a time. */
export class RpcClient {
  readonly #conn: Deno.Conn;
  #seq = 0;
  #buf = new Uint8Array(0);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects and performs the handshake (and auth when `authKey` is given). */
  static async connect(
    addr: { host: string; port: number },
    opts: { authKey?: string | null; timeoutMs?: number } = {},
  ): Promise<RpcClient> {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: addr.host, port: addr.port });
    } catch (err) {
      throw new RpcClientError(
        `Cannot connect to the agent RPC at ${joinHostPort(addr.host, addr.port)}: ${
          errorText(err)
        }`,
        { cause: err },
      );
    }
    const client = new RpcClient(conn);
    try {
      await client.#call("handshake", { Version: 1 }, false, opts.timeoutMs);
      if (opts.authKey) {
        await client.#call("auth", { AuthKey: opts.authKey }, false, opts.timeoutMs);
      }
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** `members-filtered`: anchored regexps on name, status and tags (empty = any). */
  async members(
    filter: { name?: string; status?: string; tags?: ReadonlyMap<string, string> } = {},
  ): Promise<RpcMember[]> {
    const body = await this.#call("members-filtered", {
      Tags: Object.fromEntries(filter.tags ?? []),
      Status: filter.status ?? "",
      Name: filter.name ?? "",
    }, true);
    const list = asMap(body!, "members reply").get("Members");
    if (!Array.isArray(list)) return [];
    return list.map((m) => toMember(asMap(m, "member")));
  }

  /** `get-coordinate`: the agent's coordinate of `node`, `null` when it has none. */
  async coordinate(node: string): Promise<Coordinate | null> {
    const body = asMap((await this.#call("get-coordinate", { Node: node }, true))!, "reply");
    if (body.get("Ok") !== true) return null;
    return coordinateFromMap(asMap(body.get("Coord") ?? null, "Coord"));
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #call(
    command: string,
    body: Record<string, unknown>,
    hasReply: boolean,
    timeoutMs = 5000,
  ): Promise<MsgValue | undefined> {
    const seq = this.#seq++;
    const req = [...encode({ Command: command, Seq: seq }), ...encode(body as never)];
    const timer = setTimeout(() => this.close(), timeoutMs);
    try {
      await this.#conn.write(Uint8Array.from(req));
      const header = asMap(await this.#read(), "response header");
      const error = stringField(header, "Error");
      if (error !== "") throw new RpcClientError(`Agent RPC ${command} failed: ${error}`);
      return hasReply ? await this.#read() : undefined;
    } catch (err) {
      if (err instanceof RpcClientError) throw err;
      throw new RpcClientError(`Agent RPC ${command} failed: ${errorText(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads exactly one msgpack value from the stream. */
  async #read(): Promise<MsgValue> {
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      if (this.#buf.length > 0) {
        try {
          const r = new Reader(this.#buf);
          const v = r.read();
          this.#buf = this.#buf.slice(r.offset);
          return v;
        } catch (err) {
          if (!(err instanceof MsgpackTruncatedError)) throw err;
        }
      }
      if (this.#buf.length > REPLY_BYTES_MAX) throw new RpcClientError("Agent RPC reply too large");
      const n = await this.#conn.read(chunk);
      if (n === null) throw new RpcClientError("Agent RPC closed the connection");
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
    }
  }
}

function toMember(m: Map<string, MsgValue>): RpcMember {
  const raw = m.get("Addr");
  const addr = raw instanceof Uint8Array ? ipText(raw) : "";
  return {
    name: stringField(m, "Name"),
    addr,
    port: uintField(m, "Port", 0xffff),
    status: stringField(m, "Status"),
    tags: stringMapField(m, "Tags"),
    protocol: {
      min: intField(m, "DelegateMin"),
      max: intField(m, "DelegateMax"),
      cur: intField(m, "DelegateCur"),
    },
  };
}

/** An IP from 4 or 16 raw bytes (v4-mapped shown as IPv4). */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length === 16) {
    const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    if (mapped) return [...b.subarray(12)].join(".");
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
  }
  return "";
}
