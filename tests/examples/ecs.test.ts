import assert from "node:assert/strict";
import type { SidecarConfig, TaskConfig } from "../../lib/config.ts";
import { parseDuration } from "../../lib/cli/duration.ts";
import { type HealthStatus, Registry, serveMetrics } from "../../lib/metrics/mod.ts";
import {
  dockerEnv,
  EXAMPLES_DIR,
  execForm,
  parseWithEnv,
  PLACEHOLDER_KEY,
  readDockerfile,
  shoalVariables,
} from "../_support/example_files.ts";

interface KeyValue {
  name: string;
  value?: string;
  valueFrom?: string;
}
interface PortMapping {
  containerPort: number;
  protocol: string;
}
interface ContainerDefinition {
  name: string;
  stopTimeout: number;
  linuxParameters?: { initProcessEnabled?: boolean };
  portMappings: PortMapping[];
  environment: KeyValue[];
  secrets?: KeyValue[];
  healthCheck: { command: string[]; startPeriod?: number };
}
interface TaskDefinition {
  networkMode: string;
  containerDefinitions: ContainerDefinition[];
}

/** Which image and shoal command each task definition runs. */
const DEFINITIONS = [
  { file: "sidecar-task-definition.json", image: "haproxy", command: "sidecar" },
  { file: "task-task-definition.json", image: "task", command: "task" },
] as const;

async function load(file: string): Promise<ContainerDefinition> {
  const def = JSON.parse(await Deno.readTextFile(`${EXAMPLES_DIR}ecs/${file}`)) as TaskDefinition;
  assert.equal(def.networkMode, "awsvpc", file);
  assert.equal(def.containerDefinitions.length, 1, file);
  return def.containerDefinitions[0]!;
}

/** The container's effective environment: the image's ENV, then the task definition's. */
async function effectiveEnv(image: string, c: ContainerDefinition): Promise<Map<string, string>> {
  const env = dockerEnv(await readDockerfile(image));
  for (const v of c.environment) env.set(v.name, v.value ?? "");
  for (const s of c.secrets ?? []) {
    env.set(s.name, s.name === "SHOAL_ENCRYPT" ? PLACEHOLDER_KEY : "x");
  }
  return env;
}

/** Parses the container's command line (image ENTRYPOINT + CMD) with its environment. */
async function configOf(d: typeof DEFINITIONS[number]) {
  const c = await load(d.file);
  const instructions = await readDockerfile(d.image);
  const argv = [...execForm(instructions, "ENTRYPOINT"), ...execForm(instructions, "CMD")];
  assert.equal(argv[0], "shoal");
  assert.equal(argv[1], d.command);
  const result = parseWithEnv(argv.slice(1), await effectiveEnv(d.image, c));
  assert.equal(result.kind, "run", result.kind === "exit" ? result.stderr : "");
  return { container: c, config: result.kind === "run" ? result.config : undefined };
}

Deno.test("examples/ecs: every SHOAL_* variable is a flag of the command it configures", async () => {
  for (const d of DEFINITIONS) {
    const c = await load(d.file);
    const known = shoalVariables(d.command);
    const names = [...c.environment, ...(c.secrets ?? [])].map((v) => v.name);
    assert.ok(names.length > 5, d.file);
    for (const name of names.filter((n) => n.startsWith("SHOAL_"))) {
      assert.ok(known.has(name), `${d.file}: ${name} is not a flag of shoal ${d.command}`);
    }
    assert.equal(new Set(names).size, names.length, `${d.file}: a variable is set twice`);
  }
});

Deno.test("examples/ecs: the image command and environment parse into a valid config", async () => {
  const sidecar = (await configOf(DEFINITIONS[0])).config as SidecarConfig;
  assert.equal(sidecar.role, "sidecar");
  assert.deepEqual(sidecar.haproxyCommand.slice(0, 3), ["haproxy", "-W", "-db"]);
  assert.equal(sidecar.gossip.encryptKey, PLACEHOLDER_KEY);
  const cfg = await Deno.readTextFile(`${EXAMPLES_DIR}haproxy/haproxy.cfg`);
  assert.match(cfg, new RegExp(`stats socket ${sidecar.haproxySocket} .*level admin`));
  for (const backend of sidecar.backends) {
    assert.match(cfg, new RegExp(`^backend ${backend}$`, "m"));
  }
  const task = (await configOf(DEFINITIONS[1])).config as TaskConfig;
  assert.equal(task.role, "task");
  assert.deepEqual(task.worker, ["python3", "/app/server.py"]);
  assert.ok(task.gossip.join.length > 0);
});

Deno.test("examples/ecs: drain and kill timeouts fit inside stopTimeout", async () => {
  const { container: tc, config } = await configOf(DEFINITIONS[1]);
  const task = config as TaskConfig;
  assert.equal(tc.stopTimeout, 30);
  assert.equal(task.drainTimeoutMs, 20_000);
  assert.equal(task.killTimeoutMs, 5_000);
  assert.ok(task.drainTimeoutMs + task.killTimeoutMs < tc.stopTimeout * 1000);
  const { container: sc, config: sconfig } = await configOf(DEFINITIONS[0]);
  const sidecar = sconfig as SidecarConfig;
  assert.ok(
    sidecar.drainTimeoutMs + 2_000 <= task.drainTimeoutMs,
    "the sidecar's drain ends with a margin before the task stops waiting for it",
  );
  const cfg = await Deno.readTextFile(`${EXAMPLES_DIR}haproxy/haproxy.cfg`);
  const hardStop = /^\s*hard-stop-after (\S+)$/m.exec(cfg)?.[1];
  assert.ok(hardStop, "haproxy.cfg sets hard-stop-after");
  assert.ok(parseDuration(hardStop) < sc.stopTimeout * 1000);
  assert.ok((tc.healthCheck.startPeriod ?? 0) * 1000 >= task.readyTimeoutMs);
});

Deno.test("examples/ecs: ports, init process and health checks match the configuration", async () => {
  for (const d of DEFINITIONS) {
    const { container: c, config } = await configOf(d);
    const gossip = (config as SidecarConfig | TaskConfig).gossip;
    assert.equal(c.linuxParameters?.initProcessEnabled, true, d.file);
    const has = (port: number, protocol: string) =>
      c.portMappings.some((p) => p.containerPort === port && p.protocol === protocol);
    assert.ok(has(gossip.bind.port, "tcp") && has(gossip.bind.port, "udp"), `${d.file}: gossip`);
    assert.equal(gossip.bind.port, 7946);
    assert.ok(gossip.metricsAddr && has(gossip.metricsAddr.port, "tcp"), `${d.file}: metrics`);
    if (d.command === "sidecar") assert.ok(has(80, "tcp"), "haproxy frontend :80");
    else assert.ok(has((config as TaskConfig).listenAddr.port, "tcp"), "worker port");
    const check = c.healthCheck.command.join(" ");
    assert.match(check, new RegExp(`127\\.0\\.0\\.1[:/]${gossip.metricsAddr.port}\\b`), d.file);
    assert.match(check, /\/healthz/, d.file);
  }
});

async function runHealthCheck(command: string[], port: number): Promise<number> {
  const args = command.slice(1).map((a) => a.replaceAll("9100", String(port)));
  const argv = command[0] === "CMD-SHELL" ? ["sh", "-c", args.join(" ")] : args;
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "null",
    stderr: "null",
  })
    .output();
  return out.code;
}

Deno.test("examples/ecs: container health checks pass on 200 /healthz and fail on 503", async () => {
  let health: HealthStatus = { ok: true, reason: "" };
  const server = serveMetrics({
    addr: { host: "127.0.0.1", port: 0 },
    registry: new Registry(),
    health: () => health,
  });
  try {
    for (const d of DEFINITIONS) {
      const { command } = (await load(d.file)).healthCheck;
      health = { ok: true, reason: "" };
      assert.equal(await runHealthCheck(command, server.addr.port), 0, `${d.file} healthy`);
      health = { ok: false, reason: "not joined" };
      assert.notEqual(await runHealthCheck(command, server.addr.port), 0, `${d.file} unhealthy`);
    }
  } finally {
    await server.close();
  }
});
