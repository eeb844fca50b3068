import { equal, ok } from "node:assert/strict";
import { parsePromText } from "../_support/prom_text.ts";
import { freePort, startSerfAgent, waitFor } from "../_support/serf_agent.ts";
import { startShoal } from "../_support/shoal_process.ts";

Deno.test("shoal agent --metrics-addr serves gossip metrics and /healthz while it is a live member", async () => {
  const serf = await startSerfAgent("real-metrics");
  const metricsPort = freePort();
  const shoal = startShoal([
    "agent",
    "--node",
    "shoal-metrics",
    "--bind",
    `127.0.0.10:${freePort()}`,
    "--rpc-addr",
    "",
    "--join",
    `127.0.0.1:${serf.bindPort}`,
    "--metrics-addr",
    `127.0.0.1:${metricsPort}`,
  ]);
  const base = `http://127.0.0.1:${metricsPort}`;
  try {
    await shoal.waitForLog("agent.running");
    const health = await fetch(`${base}/healthz`);
    equal(health.status, 200, await health.text());
    // gossip traffic shows up in the counters once the first probes ran
    await waitFor("probes counted", async () => {
      const families = parsePromText(await (await fetch(`${base}/metrics`)).text());
      const probes = families.get("shoal_gossip_probes_total")?.samples[0]?.value ?? 0;
      return probes > 0;
    });
    const families = parsePromText(await (await fetch(`${base}/metrics`)).text());
    for (const name of ["shoal_gossip_packets_total", "shoal_gossip_bytes_total"]) {
      ok(families.has(name), `${name} exported`);
    }
    const packetsIn = families.get("shoal_gossip_packets_total")!.samples.find((s) =>
      s.labels.get("direction") === "in"
    );
    ok((packetsIn?.value ?? 0) > 0, "packets in counted");
  } finally {
    await shoal.stop();
    await serf.stop();
  }
});
