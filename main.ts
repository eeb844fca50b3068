/**
 * shoal's entry point: parse the command line into a frozen config and run the role it names.
 *
 * @module
 */

import { parseCommandLine } from "./lib/cli/program.ts";
import { runRole } from "./lib/roles/mod.ts";

const encoder = new TextEncoder();
const io = {
  stdout: (text: string) => Deno.stdout.writeSync(encoder.encode(text)),
  stderr: (text: string) => Deno.stderr.writeSync(encoder.encode(text)),
};

const parsed = parseCommandLine(Deno.args, {
  env: (name) => Deno.env.get(name),
  hostname: () => Deno.hostname(),
});
if (parsed.kind === "exit") {
  if (parsed.stdout) io.stdout(parsed.stdout);
  if (parsed.stderr) io.stderr(parsed.stderr);
  Deno.exit(parsed.code);
}
Deno.exit(await runRole(parsed.config, io));
