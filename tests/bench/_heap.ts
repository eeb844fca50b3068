/**
 * A V8 heap report of a running Deno process over its inspector (`--inspect=host:port`), for the
 * benchmarks (not a test): `Deno.memoryUsage()` in the process and a heap snapshot summed by what
 * holds the bytes (objects by constructor, strings, arrays, compiled code, ...).
 *
 * @module
 */

/** Bytes held, by kind of heap object. */
export interface HeapReport {
  /** `Deno.memoryUsage()` of the inspected process, bytes. */
  readonly usage: { rss: number; heapTotal: number; heapUsed: number; external: number };
  /** Total self size of the snapshot's nodes, bytes. */
  readonly snapshotBytes: number;
  /** The biggest groups, `[group, bytes, count]`, largest first. */
  readonly top: readonly [string, number, number][];
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Connects to the inspector at `host:port`, evaluates, snapshots and sums; `topN` groups. */
export async function heapReport(host: string, port: number, topN = 15): Promise<HeapReport> {
  const targets = await (await fetch(`http://${host}:${port}/json/list`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((ok, fail) => (ws.onopen = ok, ws.onerror = fail));
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  const chunks: string[] = [];
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(msg.params.chunk);
    else if (msg.id) pending.get(msg.id)?.(msg.result);
  };
  const call = (method: string, params: unknown = {}) =>
    new Promise<unknown>((ok) => {
      const id = nextId++;
      pending.set(id, ok);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    const evaluated = await call("Runtime.evaluate", {
      expression: "JSON.stringify(Deno.memoryUsage())",
      returnByValue: true,
    }) as { result: { value: string } };
    await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const snap: Snapshot = JSON.parse(chunks.join(""));
    return { usage: JSON.parse(evaluated.result.value), ...summarise(snap, topN) };
  } finally {
    ws.close();
  }
}

function summarise(snap: Snapshot, topN: number): Omit<HeapReport, "usage"> {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const groups = new Map<string, [number, number]>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const size = snap.nodes[i + sizeAt!]!;
    total += size;
    const name = snap.strings[snap.nodes[i + nameAt!]!] ?? "";
    const key = type === "object" || type === "closure" ? `${type} ${name}` : type;
    const g = groups.get(key) ?? [0, 0];
    g[0] += size;
    g[1] += 1;
    groups.set(key, g);
  }
  const top = [...groups].map(([k, [b, n]]) => [k, b, n] as [string, number, number])
    .sort((a, b) => b[1] - a[1]).slice(0, topN);
  return { snapshotBytes: total, top };
}

/** One line per group, MB. */
export function formatHeapReport(r: HeapReport): string {
  const mb = (b: number) => (b / 2 ** 20).toFixed(2);
  return [
    `heap: used ${mb(r.usage.heapUsed)} MB of ${mb(r.usage.heapTotal)}, external ` +
    `${mb(r.usage.external)}, snapshot ${mb(r.snapshotBytes)} MB`,
    ...r.top.map(([k, b, n]) => `  ${mb(b).padStart(7)} MB  ${String(n).padStart(8)}  ${k}`),
  ].join("\n");
}
