/**
 * The Vivaldi math of `lib/serf/coordinate/` against values derived by hand from serf's
 * `coordinate` package (the same formulas, step by step in the comments) and against the known
 * values of serf's own coordinate tests.
 */
import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { CoordinateRejectedError, VivaldiClient } from "../../lib/serf/coordinate/client.ts";
import {
  applyForce,
  type Coordinate,
  DEFAULT_VIVALDI_CONFIG,
  distanceSeconds,
  newCoordinate,
  rawDistanceSeconds,
} from "../../lib/serf/coordinate/coordinate.ts";

const THREE_D = { ...DEFAULT_VIVALDI_CONFIG, dimensionality: 3 };
const NO_HEIGHT = { ...THREE_D, heightMin: 0 };
const noRandom = () => {
  throw new Error("no random direction expected");
};

/** Relative tolerance; distances are whole nanoseconds (a Go Duration), so they get 1e-9. */
function near(actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

function at(vec: number[], extra: Partial<Coordinate> = {}): Coordinate {
  return { ...newCoordinate(NO_HEIGHT), vec, ...extra };
}

Deno.test("distanceSeconds() adds heights and adjustments unless they make it negative (serf values)", () => {
  const c1 = at([-0.5, 1.3, 2.4]);
  const c2 = at([1.2, -2.3, 3.4]);
  near(distanceSeconds(c1, c1), 0, "self");
  near(distanceSeconds(c1, c2), 4.104875150354758, "euclidean", 1e-9);
  near(distanceSeconds(c2, c1), distanceSeconds(c1, c2), "symmetric");
  c1.adjustment = -1.0e6;
  near(distanceSeconds(c1, c2), 4.104875150354758, "negative adjustment ignored", 1e-9);
  c1.adjustment = 0.1, c2.adjustment = 0.2;
  near(distanceSeconds(c1, c2), 4.104875150354758 + 0.3, "adjusted", 1e-9);
  c1.height = 0.7, c2.height = 0.1;
  near(distanceSeconds(c1, c2), 4.104875150354758 + 0.3 + 0.8, "with heights", 1e-9);
  near(rawDistanceSeconds(c1, c2), 4.104875150354758 + 0.8, "raw ignores adjustments");
  assert.throws(() => distanceSeconds(c1, at([0, 0])), /dimensionality/);
});

Deno.test("applyForce() moves along the unit vector and grows the height (serf values)", () => {
  const origin = at([0, 0, 0]);
  const above = at([0, 0, 2.9]);
  let c = applyForce(NO_HEIGHT, noRandom, origin, 5.3, above);
  assert.deepEqual(c.vec, [0, 0, -5.3]);
  c = applyForce(NO_HEIGHT, noRandom, c, 2.0, at([3.4, 0, -5.3]));
  assert.deepEqual(c.vec, [-2.0, 0, -5.3]);
  // Coinciding points: a random direction, so the new distance is exactly the force.
  c = applyForce(NO_HEIGHT, seededPrng(3), origin, 1.0, origin);
  near(distanceSeconds(origin, c), 1.0, "random unit vector", 1e-9);

  const o = newCoordinate(THREE_D);
  const up = { ...newCoordinate(THREE_D), vec: [0, 0, 2.9], height: 0 };
  c = applyForce(THREE_D, noRandom, o, 5.3, up);
  assert.deepEqual(c.vec, [0, 0, -5.3]);
  near(c.height, 10e-6 + 5.3 * 10e-6 / 2.9, "height pushed up");
  c = applyForce(THREE_D, noRandom, o, -5.3, up);
  assert.deepEqual(c.vec, [0, 0, 5.3]);
  near(c.height, 10e-6, "height floors at heightMin");
});

Deno.test("VivaldiClient.latencyFilter() is a moving median of 3 per node (serf values)", () => {
  const client = new VivaldiClient({ prng: noRandom });
  const alice = [0.201, 0.200, 0.207, 1.9, 0.203, 0.199, 0.211];
  const medians = alice.map((s) => client.latencyFilter("alice", s));
  assert.deepEqual(medians, [0.201, 0.201, 0.201, 0.207, 0.207, 0.203, 0.203]);
  assert.equal(client.latencyFilter("bob", 0.310), 0.310);
  client.forgetNode("alice");
  assert.equal(client.latencyFilter("alice", 0.888), 0.888);
});

Deno.test("VivaldiClient.update() takes one Vivaldi, adjustment and gravity step as serf does", () => {
  // Us at the origin, the other node 1 ms straight above, both fresh (error 1.5, height 1e-5);
  // the ping took 2 ms, longer than the 1.02 ms the coordinates predict.
  const client = new VivaldiClient({ prng: noRandom, config: THREE_D });
  const other = { ...newCoordinate(THREE_D), vec: [0, 0, 0.001] };
  const c = client.update("b", other, 0.002);
  // Vivaldi: dist = 0.001 + 2e-5 = 0.00102 s; wrongness = |0.00102 - 0.002| / 0.002 = 0.49;
  // weight = 1.5 / (1.5 + 1.5) = 0.5.
  const error = 0.25 * 0.5 * 0.49 + 1.5 * (1 - 0.25 * 0.5);
  const force = 0.25 * 0.5 * (0.002 - 0.00102);
  // We are pushed down (away from it), our height grows by (h + h_other) * force / 0.001.
  let z = -force;
  let height = (1e-5 + 1e-5) * force / 0.001 + 1e-5;
  // Adjustment: one sample (rtt - raw distance) in a window of 20, halved.
  const adjustment = (0.002 - (0.001 + force + height + 1e-5)) / 40;
  // Gravity toward the origin: dist = |z| + height + 1e-5 + adjustment (in whole ns),
  // force = -(dist / 150)^2 along our own direction.
  const gdist = Math.trunc((-z + height + 1e-5 + adjustment) * 1e9) / 1e9;
  const gforce = -((gdist / 150) ** 2);
  height = Math.max((height + 1e-5) * gforce / -z + height, 1e-5);
  z = z - gforce;
  near(c.error, error, "error");
  assert.equal(c.error, 1.37375);
  near(c.vec[2]!, z, "z");
  assert.deepEqual(c.vec.slice(0, 2), [0, 0]);
  near(c.height, height, "height");
  near(c.adjustment, adjustment, "adjustment");
  near(c.adjustment, 2.137625e-5, "adjustment value", 1e-9);
  assert.deepEqual(client.coordinate(), c);
});

Deno.test("VivaldiClient.update() converges toward a steady RTT between two clients", () => {
  const a = new VivaldiClient({ prng: seededPrng(1) });
  const b = new VivaldiClient({ prng: seededPrng(2) });
  for (let i = 0; i < 200; i++) {
    a.update("b", b.coordinate(), 0.005);
    b.update("a", a.coordinate(), 0.005);
  }
  near(a.distanceSecondsTo(b.coordinate()), 0.005, "estimate", 0.05);
  assert.ok(a.coordinate().error < 0.2, `error ${a.coordinate().error}`);
});

Deno.test("VivaldiClient.update() refuses bad observations and resets after NaN", () => {
  const client = new VivaldiClient({ prng: seededPrng(5), config: THREE_D });
  const before = client.coordinate();
  const ok = { ...newCoordinate(THREE_D), vec: [0, 0, 0.001] };
  for (const rtt of [-0.035, 11, Number.NaN]) {
    assert.throws(() => client.update("n", ok, rtt), CoordinateRejectedError);
  }
  const nan = { ...ok, vec: [Number.NaN, 0, 0] };
  assert.throws(() => client.update("n", nan, 0.25), /Coordinate is invalid/);
  assert.throws(() => client.setCoordinate(nan), /Coordinate is invalid/);
  assert.throws(() => client.update("n", newCoordinate(), 0.25), /Dimensions aren't compatible/);
  assert.deepEqual(client.coordinate(), before);
  // A coordinate so far away that the distance overflows: the step yields NaN, serf resets.
  const far = { ...ok, vec: [1e308, 1e308, 0] };
  const c = client.update("n", far, 0.25);
  assert.deepEqual(c, newCoordinate(THREE_D));
  assert.equal(client.resets, 1);
});
