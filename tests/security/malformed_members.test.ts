/**
 * Attack: one malformed tag field (issue 13, item 3). An `alive` whose Meta is the bytes `ff c1`
 * used to make every later join fail with "Cannot decode node tags". Serf logs it and uses empty
 * tags; so does shoal now, counting the decode error. Found by `deno task fuzz`: an alive whose
 * version vector is incompatible with ours blocked every later join the same way (the joiner's
 * protocol check fails on the forged entry), and so did an alive with an empty address (the
 * joiner's serf could not decode it). Real `shoal agent` processes.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import {
  alivePacket,
  type ForgeTarget,
  nodeState,
  pushPullFrame,
  sendStream,
  sendUdp,
  startTarget,
} from "../_support/forge.ts";
import { waitFor } from "../_support/serf_agent.ts";
import { serfCli } from "../_support/serf_cli.ts";

async function members(rpcAddr: string): Promise<{ name: string; tags: object }[]> {
  const r = await serfCli("members", rpcAddr, ["-format=json"], 5000);
  return r.code === 0 ? JSON.parse(r.stdout).members : [];
}

Deno.test("an alive with Meta ff c1 gives empty tags, and new nodes still join", async () => {
  const a = await startTarget("shoal-tags-a");
  let b: ForgeTarget | undefined;
  try {
    await sendUdp(a, [alivePacket("ghost", { port: 9, meta: new Uint8Array([0xff, 0xc1]) })]);
    await waitFor("a lists the ghost", async () => {
      return (await members(a.rpcAddr)).some((m) => m.name === "ghost");
    }, 5000);
    const ghost = (await members(a.rpcAddr)).find((m) => m.name === "ghost")!;
    deepStrictEqual(ghost.tags, {});
    ok(a.proc.logs().some((l) => l.event === "serf.tags.invalid"), "the decode error is logged");
    b = await startTarget("shoal-tags-b", ["--join", `${a.host}:${a.port}`]);
    await waitFor("a lists b", async () => {
      return (await members(a.rpcAddr)).some((m) => m.name === "shoal-tags-b");
    });
    // a lists b as soon as it has merged b's push/pull; b merges a's answer a moment later
    await waitFor("b learned the ghost too", async () => {
      return (await members(b!.rpcAddr)).some((m) => m.name === "ghost");
    }, 5000);
  } finally {
    await b?.proc.stop();
    await a.proc.stop();
  }
});

Deno.test("an alive with delegate versions incompatible with ours is refused; new nodes still join", async () => {
  const a = await startTarget("shoal-vsn-a");
  let b: ForgeTarget | undefined;
  try {
    await sendUdp(a, [alivePacket("ghost-vsn", { port: 9, vsn: [1, 5, 2, 6, 7, 6] })]);
    await a.proc.waitForLog("member.version_refused", (l) => l.member === "ghost-vsn", 5000)
      .catch(() => undefined);
    b = await startTarget("shoal-vsn-b", ["--join", `${a.host}:${a.port}`]);
    await waitFor("a lists b", async () => {
      return (await members(a.rpcAddr)).some((m) => m.name === "shoal-vsn-b");
    });
    ok(!(await members(a.rpcAddr)).some((m) => m.name === "ghost-vsn"), "the ghost was refused");
  } finally {
    await b?.proc.stop();
    await a.proc.stop();
  }
});

Deno.test("an alive with an empty address is refused; new nodes still join", async () => {
  const a = await startTarget("shoal-addr-a");
  let b: ForgeTarget | undefined;
  try {
    // found by the fuzzer in a forged push/pull; over UDP as well
    const ghost = { ...nodeState("ghost-addr", 9), addr: new Uint8Array(0) };
    await sendStream(a, pushPullFrame([ghost], new Uint8Array(0)), 1000);
    await sendUdp(a, [alivePacket("ghost-addr", { port: 9, ip: [] })]);
    // handled: refused, or (before the fix) stored by memberlist with serf failing on it
    await waitFor(
      "the forged push/pull handled",
      () =>
        a.proc.logs().some((l) =>
          l.event === "member.address_refused" || l.event === "stream.failed"
        ),
    );
    b = await startTarget("shoal-addr-b", ["--join", `${a.host}:${a.port}`]);
    await waitFor("a lists b", async () => {
      return (await members(a.rpcAddr)).some((m) => m.name === "shoal-addr-b");
    });
  } finally {
    await b?.proc.stop();
    await a.proc.stop();
  }
});
