import assert from "node:assert/strict";
import {
  EXAMPLES_DIR,
  execForm,
  parseWithEnv,
  readDockerfile,
  shoalVariables,
} from "../_support/example_files.ts";
import { type MiniYaml, MiniYamlError, parseMiniYaml } from "../_support/mini_yaml.ts";

type Obj = { [key: string]: MiniYaml };

function obj(v: MiniYaml | undefined, what: string): Obj {
  assert.ok(v !== undefined && typeof v === "object" && !Array.isArray(v), `${what} is a mapping`);
  return v;
}

function list(v: MiniYaml | undefined, what: string): string[] {
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === "string"), `${what} is a list`);
  return v as string[];
}

/** Compose interpolation: `${VAR:-default}` takes the default, `${VAR:?msg}` a stand-in value. */
/** What a user supplies for a required `${NAME:?…}` variable; others get a plain word. */
const SUPPLIED: Readonly<Record<string, string>> = { SHOAL_ENCRYPT: btoa("k".repeat(32)) };

function interpolate(value: string): string {
  return value.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_, name, op, rest) => op === "-" ? rest : SUPPLIED[name] ?? "stand-in",
  );
}

async function compose(): Promise<Obj> {
  return obj(parseMiniYaml(await Deno.readTextFile(`${EXAMPLES_DIR}docker-compose.yml`)), "file");
}

Deno.test("examples/docker-compose.yml parses and mirrors the demo: haproxy + three tasks", async () => {
  const services = obj((await compose()).services, "services");
  assert.deepEqual(Object.keys(services).sort(), ["haproxy", "task"]);
  assert.equal(obj(obj(services.task, "task").deploy, "deploy").replicas, "3");
  assert.deepEqual(list(obj(services.haproxy, "haproxy").ports, "ports"), ["8080:80", "9100:9100"]);
  for (const [name, svc] of Object.entries(services)) {
    const context = obj(obj(svc, name).build, `${name}.build`).context as string;
    const stat = await Deno.stat(`${EXAMPLES_DIR}${context}/Dockerfile`);
    assert.ok(stat.isFile, `${name}: ${context}/Dockerfile`);
  }
});

Deno.test("examples/docker-compose.yml: SHOAL_* variables and commands are valid shoal flags", async () => {
  const services = obj((await compose()).services, "services");
  for (const [name, raw] of Object.entries(services)) {
    const svc = obj(raw, name);
    const context = obj(svc.build, "build").context as string;
    const entrypoint = execForm(await readDockerfile(context), "ENTRYPOINT");
    const command = entrypoint[1] as "sidecar" | "task";
    const env = new Map<string, string>();
    for (const [k, v] of Object.entries(obj(svc.environment, `${name}.environment`))) {
      assert.equal(typeof v, "string");
      if (k.startsWith("SHOAL_")) {
        assert.ok(shoalVariables(command).has(k), `${name}: ${k} is not a flag of ${command}`);
      }
      env.set(k, interpolate(v as string));
    }
    const argv = [command, ...list(svc.command, `${name}.command`)];
    const result = parseWithEnv(argv, env);
    assert.equal(result.kind, "run", result.kind === "exit" ? `${name}: ${result.stderr}` : "");
  }
});

Deno.test("parseMiniYaml() refuses YAML outside its subset instead of misreading it", () => {
  for (
    const bad of [
      "a: &x 1\n",
      "a: |\n  text\n",
      "a: {b: 1}\n",
      "a:\n\tb: 1\n",
      "a: 1\na: 2\n",
      "a: b: c\n",
      "a:\n  - b: 1\n",
      "a: [1, [2]]\n",
      "a: 'x\n",
    ]
  ) {
    assert.throws(() => parseMiniYaml(bad), MiniYamlError, JSON.stringify(bad));
  }
  assert.deepEqual(parseMiniYaml("a:\n  - x # c\n  - 'y''s'\nb: [\"1\", 2]\n"), {
    a: ["x", "y's"],
    b: ["1", "2"],
  });
});
