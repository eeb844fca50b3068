import { equal, ok } from "node:assert/strict";
import { createLogger } from "../../lib/log/line_logger.ts";

function capture(isTerminal: boolean) {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  return {
    chunks,
    output: {
      writeSync(p: Uint8Array): number {
        chunks.push(decoder.decode(p));
        return p.length;
      },
      isTerminal: () => isTerminal,
    },
  };
}

Deno.test("createLogger() writes JSON lines with node and role when not on a terminal", () => {
  const out = capture(false);
  const nowMs = () => Date.UTC(2026, 11, 3, 12, 0, 0, 5);
  const log = createLogger({ output: out.output, fields: { node: "n1", role: "task" }, nowMs });
  log.with({ backend: "web" }).info("haproxy.server.added", { addr: "10.0.0.1:80" });
  log.debug("hidden.at.info");
  equal(out.chunks.length, 1);
  const line = JSON.parse(out.chunks[0]!);
  equal(line.event, "haproxy.server.added");
  equal(line.level, "info");
  equal(line.node, "n1");
  equal(line.role, "task");
  equal(line.backend, "web");
  equal(line.addr, "10.0.0.1:80");
  equal(line.ts, "2026-12-03T12:00:00.005Z"); // the injected clock's time, not the machine's
});

Deno.test("createLogger() writes text on a terminal and honours --log-level", () => {
  const out = capture(true);
  const log = createLogger({
    output: out.output,
    level: "warn",
    fields: { node: "n1", role: "sidecar" },
    nowMs: () => 0,
  });
  log.info("not.shown");
  log.warn("member.failed", { member: "task 2" });
  equal(out.chunks.length, 1);
  ok(
    /^1970-01-01T00:00:00\.000Z WARN {2}member\.failed node=n1 role=sidecar member="task 2"\n$/
      .test(out.chunks[0]!),
    out.chunks[0],
  );
});

Deno.test("createLogger() format json wins over a terminal", () => {
  const out = capture(true);
  createLogger({ output: out.output, format: "json", nowMs: () => 0 }).error("x.y", {
    err: new Error("boom"),
  });
  equal(JSON.parse(out.chunks[0]!).err.message, "boom");
});
