/**
 * Test helper for `examples/`: reads Dockerfiles (instructions, COPY sources, ENV, ENTRYPOINT/CMD)
 * and checks `SHOAL_*` settings against the real flag tables and command-line parser.
 *
 * @module
 */

import { envName, type FlagSpec } from "../../lib/cli/flags.ts";
import { commandFlags, parseCommandLine, type ParseResult } from "../../lib/cli/program.ts";

/** The repository's `examples/` directory. */
export const EXAMPLES_DIR = new URL("../../examples/", import.meta.url).pathname;

/** The flags of the long-running commands, as `lib/cli/program.ts` composes them. */
export const COMMAND_FLAGS: Readonly<Record<"sidecar" | "task", readonly FlagSpec[]>> = {
  sidecar: commandFlags("sidecar"),
  task: commandFlags("task"),
};

/** The `SHOAL_*` variables a command reads. */
export function shoalVariables(command: "sidecar" | "task"): Set<string> {
  return new Set(COMMAND_FLAGS[command].map((f) => envName(f.name)));
}

/** One Dockerfile instruction after joining continuation lines. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (pending !== "" && line.trimStart().startsWith("#")) return;
    if (pending === "") startLine = i + 1;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^([A-Za-z]+)\s+(.*)$/s.exec(full);
    if (!m) throw new Error(`Dockerfile line ${startLine}: cannot read ${JSON.stringify(full)}`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: startLine });
  });
  if (pending !== "") throw new Error("Dockerfile ends inside a continuation");
  return out;
}

/** The sources of `COPY`/`ADD` instructions that read the build context (not `--from=`). */
export function contextSources(instructions: readonly Instruction[]): string[] {
  const sources: string[] = [];
  for (const ins of instructions) {
    if (ins.keyword !== "COPY" && ins.keyword !== "ADD") continue;
    const words = ins.args.split(/\s+/);
    if (words.some((w) => w.startsWith("--from="))) continue;
    const paths = words.filter((w) => !w.startsWith("--"));
    if (paths.length < 2) throw new Error(`line ${ins.line}: ${ins.keyword} needs a source`);
    sources.push(...paths.slice(0, -1));
  }
  return sources;
}

/** The exec-form array of the last `ENTRYPOINT` or `CMD`. */
export function execForm(
  instructions: readonly Instruction[],
  keyword: "ENTRYPOINT" | "CMD",
): string[] {
  const last = instructions.filter((i) => i.keyword === keyword).at(-1);
  if (!last) throw new Error(`no ${keyword}`);
  const value: unknown = JSON.parse(last.args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`line ${last.line}: ${keyword} is not an exec-form JSON array of strings`);
  }
  return value;
}

/** Variables set by `ENV key=value ...` instructions. */
export function dockerEnv(instructions: readonly Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of instructions.filter((i) => i.keyword === "ENV")) {
    for (const pair of ins.args.trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`line ${ins.line}: use ENV key=value, got ${pair}`);
      env.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return env;
}

/** Reads `examples/<dir>/Dockerfile`. */
export async function readDockerfile(dir: string): Promise<Instruction[]> {
  return parseDockerfile(await Deno.readTextFile(`${EXAMPLES_DIR}${dir}/Dockerfile`));
}

/** A valid 32-byte gossip key, standing in for secrets the examples load from a secret store. */
export const PLACEHOLDER_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

/** Runs the real command-line parser on `argv` with `env` as the only environment. */
export function parseWithEnv(
  argv: readonly string[],
  env: ReadonlyMap<string, string>,
): ParseResult {
  return parseCommandLine(argv, {
    env: (name) => env.get(name),
    hostname: () => "example-host",
  });
}
