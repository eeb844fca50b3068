import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { BindError, DenoTransport } from "../../lib/gossip/deno_transport.ts";
import type { Address, StreamConn } from "../../lib/gossip/types.ts";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

Deno.test("DenoTransport binds UDP and TCP on one port and carries packets and streams", async () => {
  const a = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
  const b = DenoTransport.listen({ bind: { host: "127.0.0.2", port: 0 } });
  try {
    ok(a.bindAddress.port > 0);
    const packet = deferred<[Uint8Array, Address]>();
    const stream = deferred<StreamConn>();
    a.start({ onPacket: () => {}, onStream: (c) => c.close() });
    b.start({
      onPacket: (bytes, from) => packet.resolve([bytes.slice(), from]),
      onStream: (c) => stream.resolve(c),
    });
    a.sendPacket(new Uint8Array([1, 2, 3]), b.bindAddress);
    const [bytes, from] = await packet.promise;
    deepStrictEqual(bytes, new Uint8Array([1, 2, 3]));
    deepStrictEqual(from, { host: "127.0.0.1", port: a.bindAddress.port });

    const out = await a.dialStream(b.bindAddress, 1000);
    const inbound = await stream.promise;
    await out.writeAll(new Uint8Array([9, 8]));
    const buf = new Uint8Array(8);
    equal(await inbound.read(buf), 2);
    deepStrictEqual(buf.subarray(0, 2), new Uint8Array([9, 8]));
    inbound.close();
    equal(await out.read(buf), null, "the peer's close ends the stream");
    out.close();
    equal(a.counters.packetsOut, 1);
    equal(b.counters.packetsIn, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("DenoTransport.listen() refuses a port that is taken, naming it", async () => {
  const a = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
  try {
    throws(
      () => DenoTransport.listen({ bind: { host: "127.0.0.1", port: a.bindAddress.port } }),
      (err: unknown) => err instanceof BindError && err.message.includes(`${a.bindAddress.port}`),
    );
  } finally {
    await a.close();
  }
});

Deno.test("DenoTransport.dialStream() rejects a closed port", async () => {
  const a = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
  const port = a.bindAddress.port;
  await a.close();
  const b = DenoTransport.listen({ bind: { host: "127.0.0.1", port: 0 } });
  try {
    await rejects(() => b.dialStream({ host: "127.0.0.1", port }, 500));
  } finally {
    await b.close();
  }
});
