import { equal, ok } from "node:assert/strict";
import { COMMANDS } from "../lib/cli/commands.ts";
import { defaultCell, renderReadme } from "../lib/cli/docs.ts";
import { envOf } from "../lib/cli/flags.ts";
import { parseCommandLine } from "../lib/cli/program.ts";
import { LEVEL_ADMIN_HINT } from "../lib/roles/sidecar/hints.ts";

const README = new URL("../README.md", import.meta.url);

Deno.test("README's flag tables are what `deno task docs` generates from lib/cli/specs.ts", async () => {
  const readme = await Deno.readTextFile(README);
  const generated = renderReadme(readme);
  const diff = generated.split("\n").filter((line, i) => readme.split("\n")[i] !== line);
  equal(readme, generated, `README drifted from the flag specs; run 'deno task docs'.\n${diff[0]}`);
});

Deno.test("--help states every flag's meaning, default and variable as the README tables do", () => {
  let checked = 0;
  for (const [name, def] of Object.entries(COMMANDS)) {
    const r = parseCommandLine([name, "--help"], { env: () => undefined, hostname: () => "h" });
    ok(r.kind === "exit" && r.code === 0, name);
    const help = r.stdout.replace(/\s+/g, " ");
    for (const spec of def.flags) {
      ok(help.includes(`--${spec.name}`), `${name} --help lists --${spec.name}`);
      ok(help.includes(spec.help.replace(/\s+/g, " ")), `${name} --${spec.name} meaning`);
      const shown = defaultCell(spec).replaceAll("`", "");
      if (shown !== "" && spec.kind !== "bool") {
        ok(help.includes(`default ${shown}`), `${name} --${spec.name} default ${shown}`);
      }
      const variable = envOf(spec);
      if (variable !== null) ok(help.includes(`env ${variable}`), `${name} ${variable}`);
      checked++;
    }
  }
  ok(checked > 60, `checked ${checked} flags`);
});

Deno.test("README says how to run from a checkout and from a release binary", async () => {
  const readme = await Deno.readTextFile(README);
  ok(readme.includes("deno run -A main.ts task --join"), "checkout");
  ok(/\.\/shoal-\d+\.\d+\.\d+-linux-amd64 sidecar/.test(readme), "release binary");
});

Deno.test("README's troubleshooting quotes the hints the sidecar logs", async () => {
  const readme = await Deno.readTextFile(README);
  ok(readme.includes(LEVEL_ADMIN_HINT), "the level admin hint");
  ok(readme.includes("sidecar.haproxy.unusable") && readme.includes("haproxy.waiting"));
});

Deno.test("README's quick start names the pinned Deno and the two tasks", async () => {
  const readme = await Deno.readTextFile(README);
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  ok(readme.includes("npx -y deno@2.9.6 task demo"));
  ok(readme.includes("npx -y deno@2.9.6 task test"));
  ok(config.tasks.demo && config.tasks.test && config.tasks.docs, "demo, test and docs tasks");
});
