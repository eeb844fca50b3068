import assert from "node:assert/strict";
import { type Clock, seededPrng } from "../../lib/clock.ts";
import { type GossipConfig, gossipConfig } from "../../lib/gossip/config.ts";
import type { GossipEffect } from "../../lib/gossip/effects.ts";
import {
  type CoreTimer,
  halt,
  type LoopTimer,
  schedule,
  TimerDriver,
} from "../../lib/gossip/loops.ts";
import { SwimCore } from "../../lib/gossip/swim_core.ts";
import { MessageType } from "../../lib/gossip/wire/messages.ts";
import { emptyDelegate } from "../_support/cluster.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

const FROM = { host: "10.1.0.250", port: 7946 };

/** A clock that records every timer asked of it and never fires one. */
function recordingClock(): Clock & { readonly timers: number[] } {
  const timers: number[] = [];
  return {
    timers,
    nowMs: () => 0,
    setTimer: (delayMs) => timers.push(delayMs),
    clearTimer: () => {},
  };
}

function bareCore(config: GossipConfig, clock: Clock, effects: GossipEffect[] = []): SwimCore {
  return new SwimCore({
    name: "self",
    advertise: { host: "10.1.0.100", port: 7946 },
    config,
    delegate: emptyDelegate(),
    clock,
    prng: seededPrng(3),
    emit: (e) => effects.push(e),
  });
}

function addPeers(core: SwimCore, count: number): void {
  for (let i = 1; i <= count; i++) {
    core.onMessage({
      type: MessageType.Alive,
      incarnation: 1,
      node: `peer-${i}`,
      addr: Uint8Array.of(10, 1, (i >> 8) & 0xff, i & 0xff),
      port: 7946,
      meta: new Uint8Array(),
      vsn: Uint8Array.from([1, 5, 2, 2, 5, 5]),
    }, FROM);
  }
}

Deno.test("SwimCore.start() returns each loop's first tick, staggered, and sets no timer", () => {
  const clock = recordingClock();
  const config = gossipConfig("lan");
  const core = bareCore(config, clock);
  const first = core.start();
  assert.deepEqual(first.map((d) => [d.kind, d.timer]), [
    ["schedule", "probe"],
    ["schedule", "gossip"],
    ["schedule", "pushPull"],
  ]);
  const within = [config.probeIntervalMs, config.gossipIntervalMs, config.pushPullIntervalMs];
  first.forEach((d, i) => {
    assert.ok(d.kind === "schedule" && d.afterMs >= 0 && d.afterMs < within[i]!, `${d.timer}`);
  });
  assert.deepEqual(core.start(), [], "already running");
  assert.deepEqual(clock.timers, []);
});

Deno.test("SwimCore.tick() runs one tick and returns the next as a directive, setting no timer", () => {
  const clock = recordingClock();
  const effects: GossipEffect[] = [];
  const config = gossipConfig("lan");
  const core = bareCore(config, clock, effects);
  core.announce();
  assert.deepEqual(core.tick("probe"), schedule("probe", config.probeIntervalMs));
  assert.deepEqual(core.tick("gossip"), schedule("gossip", config.gossipIntervalMs));
  assert.deepEqual(core.tick("pushPull"), schedule("pushPull", config.pushPullIntervalMs));
  assert.deepEqual(clock.timers, [], "alone: no probe, no timer of any kind");
  addPeers(core, 40);
  effects.length = 0;
  assert.deepEqual(core.tick("gossip"), schedule("gossip", config.gossipIntervalMs));
  assert.ok(effects.some((e) => e.kind === "packet"), "the round gossiped the joins");
  assert.deepEqual(
    core.tick("pushPull"),
    schedule("pushPull", 2 * config.pushPullIntervalMs),
    "41 nodes scale the interval",
  );
  assert.equal(effects.filter((e) => e.kind === "push-pull").length, 1);
  assert.deepEqual(clock.timers, [], "gossip and push/pull ticks set no timer");
  effects.length = 0;
  assert.deepEqual(core.tick("probe"), schedule("probe", config.probeIntervalMs));
  assert.deepEqual(clock.timers, [], "the core sets no timer of any kind");
  const ping = effects.find((e) => e.kind === "packet");
  assert.ok(ping, "the probe pinged");
  assert.deepEqual(
    effects.filter((e) => e.kind === "timer").map((e) => e.kind === "timer" && e.directive),
    [
      schedule("ack:1", config.probeIntervalMs),
      schedule("indirect:1", config.probeTimeoutMs),
    ],
    "the first probe's (seq no 1) ack deadline and indirect stage are asked for as directives",
  );
  assert.equal(core.queueDepths().pendingAcks, 1);
});

Deno.test("SwimCore.tick() halts a loop once stopped or when its interval is 0", () => {
  const off = gossipConfig("lan", { gossipIntervalMs: 0, pushPullIntervalMs: 0 });
  const core = bareCore(off, recordingClock());
  assert.deepEqual(core.start().map((d) => d.kind), ["schedule", "halt", "halt"]);
  assert.deepEqual(core.tick("gossip"), halt("gossip"));
  core.stop();
  const timers: LoopTimer[] = ["probe", "gossip", "pushPull"];
  assert.deepEqual(timers.map((t) => core.tick(t)), timers.map(halt));
});

Deno.test("TimerDriver turns directives into clock timers and ticks them back", async () => {
  const clock = new VirtualClock();
  const ticks: [CoreTimer, number][] = [];
  let gossipRounds = 0;
  const driver = new TimerDriver(clock, (timer) => {
    ticks.push([timer, clock.nowMs()]);
    if (timer === "gossip" && ++gossipRounds === 3) return halt(timer);
    return schedule(timer, timer === "probe" ? 100 : 30);
  });
  driver.apply([schedule("probe", 50), schedule("gossip", 10), schedule("pushPull", 500)]);
  assert.deepEqual(driver.pending(), ["probe", "gossip", "pushPull"]);
  driver.apply([schedule("pushPull", 1000), halt("pushPull")]);
  assert.equal(clock.pendingTimers, 2, "a newer directive replaces the pending tick");
  await clock.advance(260);
  assert.deepEqual(ticks, [["gossip", 10], ["gossip", 40], ["probe", 50], ["gossip", 70], [
    "probe",
    150,
  ], ["probe", 250]]);
  driver.stop();
  assert.equal(clock.pendingTimers, 0);
  driver.apply([schedule("probe", 1)]);
  await clock.advance(10);
  assert.equal(ticks.length, 6, "nothing runs once stopped");
  assert.deepEqual(driver.pending(), []);
});
