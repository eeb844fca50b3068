import { ok } from "node:assert/strict";
import {
  GOSSIP_FLAGS,
  LOG_FLAGS,
  MEMBERS_FLAGS,
  SIDECAR_FLAGS,
  TASK_FLAGS,
} from "../lib/cli/specs.ts";

Deno.test("README documents every flag of every subcommand", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const missing = [...GOSSIP_FLAGS, ...LOG_FLAGS, ...SIDECAR_FLAGS, ...TASK_FLAGS, ...MEMBERS_FLAGS]
    .map((f) => `--${f.name}`)
    .filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(readme));
  ok(missing.length === 0, `README lacks ${missing.join(", ")}`);
});

Deno.test("README's quick start names the pinned Deno and the two tasks", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  ok(readme.includes("npx -y deno@2.9.6 task demo"));
  ok(readme.includes("npx -y deno@2.9.6 task test"));
  ok(config.tasks.demo && config.tasks.test, "deno.json has demo and test tasks");
});
