/**
 * Attack: amplification and floods over UDP (issue 13, item 7). An 1.8 KB LZW packet inflating
 * to 1 MB, sent 1500 times, used a full core; 20 000 members invented by a host that never
 * joined grew the table (RSS +184 MB, `serf members` 3-5 s). Real `shoal agent` processes.
 */
import { ok } from "node:assert/strict";
import { encodeMessage, encodePacket, MessageType, SHOAL_VSN } from "../../lib/gossip/wire/mod.ts";
import { cpuSeconds, memberNames, sendUdp, startTarget, userMessage } from "../_support/forge.ts";

/** Sends `packets` in bursts, yielding 2 ms between bursts so the kernel drops few. */
async function flood(
  to: { host: string; port: number },
  packets: Uint8Array[],
  burst = 50,
): Promise<void> {
  for (let i = 0; i < packets.length; i += burst) {
    await sendUdp(to, packets.slice(i, i + burst));
    await new Promise((r) => setTimeout(r, 2));
  }
}

Deno.test("1500 LZW packets inflating to 1 MB each cost little CPU and the node still answers", async () => {
  const t = await startTarget("shoal-flood-lzw");
  try {
    // inflates to just under the old 1 MiB per-packet cap, so all of it used to be decompressed
    const bomb = encodePacket([userMessage(new Uint8Array(1024 * 1024 - 64))], { compress: true });
    const handled = () =>
      t.proc.logs().filter((l) =>
        l.event === "packet.dropped" || l.event === "serf.message.invalid"
      ).length;
    ok(bomb.length < 4096, `the bomb is small (${bomb.length} bytes)`);
    const before = cpuSeconds(t.proc.pid);
    await flood(t, Array.from({ length: 1500 }, () => bomb), 3);
    ok((await memberNames(t.rpcAddr)) !== null, "RPC answers after the flood");
    const used = cpuSeconds(t.proc.pid) - before;
    const n = handled();
    ok(n >= 100, `only ${n} of 1500 packets arrived`);
    // inflating 1 MB took ~2 ms of CPU; capped at 64 KiB a packet and 4 MiB a second, well under
    const msPerPacket = (1000 * used) / n;
    ok(msPerPacket < 0.5, `${msPerPacket.toFixed(2)} ms of CPU per packet (${n} packets)`);
  } finally {
    await t.proc.stop();
  }
});

Deno.test("20 000 members invented by a host that never joined are not all admitted", async () => {
  const t = await startTarget("shoal-flood-members");
  try {
    const packets: Uint8Array[] = [];
    for (let p = 0; p < 1000; p++) {
      const alives = Array.from({ length: 20 }, (_, i) =>
        encodeMessage({
          type: MessageType.Alive,
          incarnation: 1,
          node: `ghost-${p * 20 + i}`,
          addr: new Uint8Array([127, 0, 0, 9]),
          port: 10_000 + ((p * 20 + i) % 50_000),
          meta: new Uint8Array(0),
          vsn: new Uint8Array(SHOAL_VSN),
        }));
      packets.push(encodePacket(alives, { compress: false }));
    }
    await flood(t, packets);
    // a marker from a real member's address would go through; the ghosts are bounded
    const names = await memberNames(t.rpcAddr);
    ok(names !== null, "RPC answers after the flood");
    ok(names.length <= 1024, `${names.length} members admitted`);
    ok(
      t.proc.logs().some((l) => l.event === "member.admission_refused"),
      "the refusals are logged",
    );
  } finally {
    await t.proc.stop();
  }
});
