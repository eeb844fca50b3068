/**
 * `deno task compile`: builds dist/shoal-<version>-linux-amd64 and -arm64 with -A baked in.
 *
 * `deno compile` needs the `denort` runtime for each target, downloaded from dl.deno.land or found
 * at $DENO_DIR/dl/release/v<deno>/denort-<target>.zip, or given as DENORT_BIN. When none is there,
 * this fails with one line saying so instead of a stack trace. The release workflow
 * (.github/workflows/release.yml) runs this on a machine that can download denort.
 *
 * V8 flags baked in ({@linkcode V8_FLAGS}): `--max-semi-space-size=2` caps V8's young generation
 * at 2 MB a semi-space. By default it grows to 16 MB and stays resident: a sidecar with 300
 * members held 53 MB of anonymous memory beside a 25 MB heap, 23 MB with the cap (RSS 120 -> 86
 * MB, bench:scale 300, BENCHMARKS.md "Scale"); an idle task or sidecar moves by 1-3 MB; the
 * simulation (allocation-heavy, 40 seeds) ran in the same time within noise. Baked flags come
 * after any in `DENO_V8_FLAGS` (`deno compile --help`).
 */

import denoJson from "../deno.json" with { type: "json" };

/** `--v8-flags` every release binary runs with (see the module doc). */
const V8_FLAGS = "--max-semi-space-size=2";

const TARGETS = [
  { target: "x86_64-unknown-linux-gnu", arch: "amd64" },
  { target: "aarch64-unknown-linux-gnu", arch: "arm64" },
] as const;

const version = denoJson.version;
const root = new URL("..", import.meta.url).pathname;
const denortBin = Deno.env.get("DENORT_BIN");
const hostTarget = Deno.build.arch === "aarch64" ? TARGETS[1].target : TARGETS[0].target;
const only = Deno.args[0];

await Deno.mkdir(`${root}dist`, { recursive: true });
for (const { target, arch } of TARGETS) {
  if (only && only !== arch) continue;
  if (denortBin && target !== hostTarget) {
    // DENORT_BIN is used whatever --target says, so a foreign target would get the wrong binary.
    console.error(
      `compile: skipping ${target}: DENORT_BIN only builds for this host (${hostTarget})`,
    );
    continue;
  }
  const output = `${root}dist/shoal-${version}-linux-${arch}`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--frozen",
      "-A",
      `--v8-flags=${V8_FLAGS}`,
      "--target",
      target,
      "--output",
      output,
      `${root}main.ts`,
    ],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (result.success) {
    console.error(`compile: built ${output}`);
    continue;
  }
  const stderr = new TextDecoder().decode(result.stderr);
  if (!denortBin && !(await denortCached(target))) {
    console.error(
      `compile: cannot build ${target}: the denort ${Deno.version.deno} runtime could not be downloaded ` +
        `(set DENORT_BIN, put denort-${target}.zip in $DENO_DIR/dl/release/v${Deno.version.deno}/, ` +
        `or build with the release workflow)`,
    );
  } else {
    console.error(stderr.trimEnd());
  }
  Deno.exit(1);
}

async function denortCached(target: string): Promise<boolean> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  try {
    await Deno.stat(`${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`);
    return true;
  } catch {
    return false;
  }
}
