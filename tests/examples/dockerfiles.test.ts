import assert from "node:assert/strict";
import {
  contextSources,
  dockerEnv,
  EXAMPLES_DIR,
  execForm,
  parseDockerfile,
  readDockerfile,
  shoalVariables,
} from "../_support/example_files.ts";

const IMAGES = [
  { dir: "haproxy", command: "sidecar" },
  { dir: "task", command: "task" },
] as const;

Deno.test("examples Dockerfiles: every COPY/ADD source exists in the build context", async () => {
  for (const { dir } of IMAGES) {
    const sources = contextSources(await readDockerfile(dir));
    assert.ok(sources.length > 0, dir);
    for (const src of sources) {
      const stat = await Deno.stat(`${EXAMPLES_DIR}${dir}/${src}`).catch(() => null);
      assert.ok(stat?.isFile, `examples/${dir}/Dockerfile copies ${src}, which does not exist`);
    }
  }
});

Deno.test("examples Dockerfiles: glibc bases, verified release download, shoal entrypoint", async () => {
  for (const { dir, command } of IMAGES) {
    const instructions = await readDockerfile(dir);
    const text = await Deno.readTextFile(`${EXAMPLES_DIR}${dir}/Dockerfile`);
    for (const m of text.matchAll(/^ARG (\w+_IMAGE)=(\S+)$/gm)) {
      assert.doesNotMatch(m[2]!, /alpine|musl/, `${dir}: ${m[1]} must be glibc-based`);
    }
    for (const from of instructions.filter((i) => i.keyword === "FROM")) {
      assert.doesNotMatch(from.args, /alpine/, `${dir}: FROM ${from.args}`);
    }
    const fetch = instructions.find((i) => i.keyword === "RUN" && i.args.includes("SHA256SUMS"));
    assert.ok(fetch, `${dir}: downloads the release`);
    assert.match(fetch.args, /releases\/download\/v\$\{SHOAL_VERSION\}/);
    assert.match(fetch.args, /shoal-\$\{SHOAL_VERSION\}-linux-\$\{arch\}/);
    assert.match(fetch.args, /sha256sum -c -/);
    for (const arg of ["SHOAL_REPO", "SHOAL_VERSION", "TARGETARCH"]) {
      assert.ok(instructions.some((i) => i.keyword === "ARG" && i.args.startsWith(arg)), arg);
    }
    assert.deepEqual(execForm(instructions, "ENTRYPOINT"), ["shoal", command]);
    const stop = instructions.filter((i) => i.keyword === "STOPSIGNAL").at(-1);
    assert.equal(stop?.args, "SIGTERM", `${dir}: docker stop must send SIGTERM to shoal`);
    for (const name of dockerEnv(instructions).keys()) {
      if (name.startsWith("SHOAL_")) {
        assert.ok(shoalVariables(command).has(name), `${dir}: ${name} is not a ${command} flag`);
      }
    }
  }
});

Deno.test("examples/haproxy/Dockerfile runs HAProxy in the foreground under shoal", async () => {
  const instructions = await readDockerfile("haproxy");
  const cmd = execForm(instructions, "CMD");
  assert.deepEqual(cmd, ["--", "haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]);
  const copy = instructions.find((i) => i.keyword === "COPY" && i.args.startsWith("haproxy.cfg"));
  assert.equal(copy?.args, "haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg");
});

Deno.test("examples/haproxy/Dockerfile defaults to an HAProxy version CI tests", async () => {
  const text = await Deno.readTextFile(`${EXAMPLES_DIR}haproxy/Dockerfile`);
  const image = /^ARG HAPROXY_IMAGE=haproxy:(\d+\.\d+)\S*$/m.exec(text);
  assert.ok(image, "ARG HAPROXY_IMAGE=haproxy:X.Y");
  const ci = await Deno.readTextFile(new URL("../../.ci/run", import.meta.url));
  const runs = /^CI_RUNS=\$\{CI_RUNS:-([^}]*)\}$/m.exec(ci)?.[1]?.split(" ") ?? [];
  const tested = ["2.6", ...runs.flatMap((r) => r.startsWith("haproxy-") ? [r.slice(8)] : [])];
  assert.ok(tested.includes(image[1]!), `haproxy:${image[1]} is not in CI's ${tested.join(", ")}`);
});

Deno.test("parseDockerfile() joins continuations and skips comments", () => {
  const instructions = parseDockerfile(
    "# c\nFROM a AS b\nRUN x \\\n  # inner comment\n  && y\nENV A=1 \\\n    B=2\n",
  );
  assert.deepEqual(instructions.map((i) => [i.keyword, i.args.replace(/\s+/g, " ")]), [
    ["FROM", "a AS b"],
    ["RUN", "x && y"],
    ["ENV", "A=1 B=2"],
  ]);
});
