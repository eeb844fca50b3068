import assert from "node:assert/strict";
import {
  rejoinAddresses,
  replaySnapshot,
  restoreClocks,
  SnapshotRecorder,
} from "../../lib/serf/snapshot.ts";
import { rejoinFromSnapshot, SnapshotFile } from "../../lib/serf/snapshot_file.ts";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { makeSerf, nodeInfo } from "../_support/serf_harness.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

const SAMPLE = `alive: b 127.0.0.1:7947
alive: a 127.0.0.1:7946
clock: 1
query-clock: 1
alive: py 127.0.0.1:7950
clock: 2
query-clock: 3
event-clock: 10
event-clock: 11
not-alive: py
# comment
coordinate: ignored
`;

Deno.test("replaySnapshot() rebuilds alive members and clocks from the spec sample", () => {
  const r = replaySnapshot(SAMPLE);
  assert.deepEqual([...r.alive], [["b", "127.0.0.1:7947"], ["a", "127.0.0.1:7946"]]);
  assert.deepEqual([r.lastClock, r.lastEventClock, r.lastQueryClock, r.left, r.badLines], [
    2,
    11,
    3,
    false,
    0,
  ]);
});

Deno.test("replaySnapshot() splits name and address at the last space and counts bad lines", () => {
  const r = replaySnapshot(
    "alive: my node [::1]:7946\nclock: x\nbogus\nclock: 99999999999999999999\n",
  );
  assert.equal(r.alive.get("my node"), "[::1]:7946");
  assert.equal(r.badLines, 3);
});

Deno.test("replaySnapshot() clears everything at a leave line unless rejoinAfterLeave", () => {
  const text = SAMPLE + "leave\nclock: 3\n";
  const cleared = replaySnapshot(text);
  assert.equal(cleared.alive.size, 0);
  assert.deepEqual([cleared.lastClock, cleared.lastEventClock, cleared.left], [3, 0, true]);
  const kept = replaySnapshot(text, true);
  assert.equal(kept.alive.size, 2);
  assert.equal(kept.lastEventClock, 11);
});

Deno.test("SnapshotRecorder writes alive/not-alive/clock lines and compacts to the alive set", () => {
  let out = "";
  const rec = new SnapshotRecorder((t) => (out += t));
  const { serf } = makeSerf("a", 7946, { snapshot: rec });
  serf.notifyJoin(nodeInfo("b", 7947));
  serf.notifyLeave(nodeInfo("b", 7947));
  serf.userEvent("e", new Uint8Array(0));
  rec.memberClock(serf.memberClock.time() + 1);
  rec.memberClock(serf.memberClock.time() + 1);
  rec.leave();
  assert.equal(
    out,
    "alive: a 127.0.0.1:7946\nalive: b 127.0.0.1:7947\nnot-alive: b\nevent-clock: 1\nclock: 1\nleave\n",
  );
  assert.equal(
    rec.compacted(),
    "alive: a 127.0.0.1:7946\nclock: 1\nevent-clock: 1\nquery-clock: 0\n",
  );
  assert.ok(!rec.needsCompaction(128 * 1024));
  assert.ok(rec.needsCompaction(128 * 1024 + 1));
});

Deno.test("restoreClocks() and rejoinAddresses() apply a replay to a new serf", () => {
  const { serf } = makeSerf("a", 7946);
  const r = replaySnapshot(SAMPLE);
  restoreClocks(serf, r);
  assert.equal(serf.memberClock.time(), 3);
  assert.equal(serf.eventRing.minTime, 12);
  assert.equal(serf.queryRing.minTime, 4);
  assert.deepEqual(rejoinAddresses(r, "a", seededPrng(1)), ["b/127.0.0.1:7947"]);
});

Deno.test("SnapshotFile appends on its flush timer, fsyncs on leave, and replays on reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/serf.snapshot`;
    const clock = new VirtualClock();
    const log = new MemoryLogger();
    const snap = await SnapshotFile.open(path, { clock, log });
    assert.equal(snap.replay.alive.size, 0);
    snap.memberEvent({
      type: "member-join",
      members: [{ ...nodeInfo("b", 7947), tags: new Map(), status: 1, vsn: [] }],
    });
    snap.userEventClock(5);
    assert.equal(await Deno.readTextFile(path), "");
    await clock.advance(500);
    await snap.flush();
    assert.equal(await Deno.readTextFile(path), "alive: b 127.0.0.1:7947\nevent-clock: 5\n");
    snap.watchClock(() => 5);
    await clock.advance(500);
    await snap.flush();
    assert.match(await Deno.readTextFile(path), /\nclock: 4\n$/);
    snap.leave();
    await snap.close();
    const again = await SnapshotFile.open(path, { clock, log, rejoinAfterLeave: true });
    assert.equal(again.replay.alive.get("b"), "127.0.0.1:7947");
    assert.ok(again.replay.left);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SnapshotFile compacts through PATH.compact once the file exceeds 128 KiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/serf.snapshot`;
    const clock = new VirtualClock();
    const log = new MemoryLogger();
    const snap = await SnapshotFile.open(path, { clock, log });
    const member = { ...nodeInfo("b", 7947), tags: new Map(), status: 1, vsn: [] };
    for (let i = 0; i < 3000; i++) {
      snap.memberEvent({ type: "member-join", members: [{ ...member, name: `n${i}` }] });
      snap.memberEvent({ type: "member-failed", members: [{ ...member, name: `n${i}` }] });
    }
    snap.memberEvent({ type: "member-join", members: [member] });
    await snap.flush();
    assert.equal(log.named("serf.snapshot.compacted").length, 1);
    assert.equal(
      await Deno.readTextFile(path),
      "alive: b 127.0.0.1:7947\nclock: 0\nevent-clock: 0\nquery-clock: 0\n",
    );
    await snap.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rejoinFromSnapshot() tries remembered members until one join works", async () => {
  const { serf, handle } = makeSerf("a", 7946);
  const replay = replaySnapshot(
    "alive: a 127.0.0.1:7946\nalive: b 127.0.0.1:7947\nalive: c 127.0.0.1:7948\n",
  );
  let calls = 0;
  handle.join = (addrs) => {
    handle.joins.push([...addrs]);
    return Promise.resolve(++calls === 2 ? 1 : 0);
  };
  const joined = await rejoinFromSnapshot(serf, replay, seededPrng(3));
  assert.equal(handle.joins.length, 2);
  assert.equal(joined, handle.joins[1]![0]);
  assert.ok(handle.joins.flat().every((a) => a !== "a/127.0.0.1:7946"), "never ourselves");
  handle.join = () => Promise.resolve(0);
  assert.equal(await rejoinFromSnapshot(serf, replay, seededPrng(3)), null);
  serf.shutdown();
});
