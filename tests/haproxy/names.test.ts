import assert from "node:assert/strict";
import { serverNameFor, validateName, ValidationError } from "../../lib/haproxy/mod.ts";

Deno.test("serverNameFor() keeps safe short node names readable", () => {
  assert.equal(serverNameFor("web-1"), "shoal-web-1");
  assert.equal(serverNameFor("ip-10-0-0-5.ec2.internal"), "shoal-ip-10-0-0-5.ec2.internal");
  assert.equal(serverNameFor("a", { prefix: "ecs-" }), "ecs-a");
});

Deno.test("serverNameFor() sanitises and hashes unsafe, long and non-ASCII names", () => {
  const inputs = [
    "web 1",
    "web;1",
    "web\n1",
    "wéb-1",
    "任务-7",
    "x".repeat(300),
    "arn:aws:ecs:eu-west-1:123456789012:task/cluster/0123456789abcdef0123456789abcdef",
  ];
  for (const input of inputs) {
    const name = serverNameFor(input);
    assert.equal(validateName("server", name), name);
    assert.ok(name.startsWith("shoal-"));
    assert.ok(name.length <= 64, name);
    assert.match(name, /-[0-9a-f]{12}$/);
  }
});

Deno.test("serverNameFor() maps different node names to different server names", () => {
  const inputs = [
    "web 1",
    "web;1",
    "web:1",
    "web-1",
    "web_1",
    "x".repeat(100) + "a",
    "x".repeat(100) + "b",
    "é",
    "è",
  ];
  for (let i = 0; i < 2000; i++) inputs.push(`task/${i}`);
  const names = inputs.map((n) => serverNameFor(n));
  assert.equal(new Set(names).size, inputs.length);
});

Deno.test("serverNameFor() cannot be steered onto another node's hashed name", () => {
  const hashed = serverNameFor("web 1");
  const spoof = hashed.slice("shoal-".length);
  assert.notEqual(serverNameFor(spoof), hashed);
});

Deno.test("serverNameFor() is stable and bounded by lengthMax", () => {
  assert.equal(serverNameFor("a b"), serverNameFor("a b"));
  assert.ok(serverNameFor("y".repeat(80), { lengthMax: 32 }).length <= 32);
  assert.throws(() => serverNameFor("a", { lengthMax: 10 }), ValidationError);
  assert.throws(() => serverNameFor(""), ValidationError);
  assert.throws(() => serverNameFor("a", { prefix: "bad prefix" }), ValidationError);
});

Deno.test("serverNameFor() never gives a node a slot's name (`<prefix>slot<N>`)", () => {
  const name = serverNameFor("slot3");
  assert.notEqual(name, "shoal-slot3");
  assert.match(name, /^shoal-slot3-[0-9a-f]{12}$/);
  assert.equal(serverNameFor("slot"), "shoal-slot");
  assert.equal(serverNameFor("slot3a"), "shoal-slot3a");
});
