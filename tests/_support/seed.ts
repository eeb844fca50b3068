/**
 * The one seed convention for randomised tests: a test names its seed (or asks for a random one),
 * `SHOAL_SEED=<n>` overrides it, and a failure names the seed and how to replay it.
 *
 * @example
 * ```ts
 * import { withSeed } from "./seed.ts";
 * await withSeed(7, (seed) => console.assert(Number.isInteger(seed)));
 * ```
 *
 * @module
 */

import { errorText } from "../../lib/log/error_text.ts";

/** The seed a test should use: `SHOAL_SEED` when set, else `fallback` (`"random"`: a fresh one). */
export function testSeed(fallback: number | "random"): number {
  const env = Deno.env.get("SHOAL_SEED");
  if (env) return Number(env);
  return fallback === "random" ? Math.floor(Math.random() * 2 ** 31) : fallback;
}

/**
 * Runs `run` with {@linkcode testSeed}; any failure is rethrown naming the seed and how to replay
 * it (`SHOAL_SEED=<seed>`), the original error as its cause.
 */
export async function withSeed(
  fallbackSeed: number | "random",
  run: (seed: number) => void | Promise<void>,
): Promise<void> {
  const seed = testSeed(fallbackSeed);
  try {
    await run(seed);
  } catch (err) {
    throw new Error(
      `Failed with seed ${seed} (replay with SHOAL_SEED=${seed}): ${errorText(err)}`,
      {
        cause: err,
      },
    );
  }
}
