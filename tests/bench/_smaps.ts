/**
 * Where a process's resident memory is, from `/proc/<pid>/smaps`: the executable's pages (the
 * `deno` binary: code the process has touched, file-backed, plus its relocated data), the malloc
 * heap (`[heap]`, the runtime's Rust allocations), other anonymous mappings (V8's heap pages and
 * code space, thread stacks, other malloc arenas) and shared libraries or other files.
 *
 * @module
 */

/** Resident MB by part of the address space. */
export interface MemoryParts {
  /** The executable's file-backed pages (runtime code touched so far). */
  readonly binaryFile: number;
  /** The executable's anonymous pages (relocated data, `.bss`). */
  readonly binaryAnon: number;
  /** The `[heap]` mapping: the main malloc arena. */
  readonly malloc: number;
  /** Every other anonymous mapping: V8 heap and code pages, stacks, other arenas. */
  readonly anonMaps: number;
  /** Shared libraries and other mapped files. */
  readonly files: number;
}

/** Reads and sums `/proc/<pid>/smaps` by part; MB. */
export async function memoryParts(pid: number): Promise<MemoryParts> {
  const text = await Deno.readTextFile(`/proc/${pid}/smaps`);
  const exe = await Deno.readLink(`/proc/${pid}/exe`);
  const kb = { binaryFile: 0, binaryAnon: 0, malloc: 0, anonMaps: 0, files: 0 };
  let part: "binary" | "malloc" | "anonMaps" | "files" | "other" = "other";
  for (const line of text.split("\n")) {
    const mapping = line.match(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/);
    if (mapping) {
      const path = mapping[1] ?? "";
      part = path === exe
        ? "binary"
        : path === "[heap]"
        ? "malloc"
        : path === "" || path.startsWith("[stack")
        ? "anonMaps"
        : path.startsWith("/")
        ? "files"
        : "other"; // [vdso], [vvar]
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    const anon = line.match(/^Anonymous:\s+(\d+) kB/);
    if (part === "binary") {
      if (rss) kb.binaryFile += Number(rss[1]);
      if (anon) (kb.binaryFile -= Number(anon[1])), (kb.binaryAnon += Number(anon[1]));
    } else if (rss && part !== "other") kb[part] += Number(rss[1]);
  }
  const mb = (n: number) => n / 1024;
  return {
    binaryFile: mb(kb.binaryFile),
    binaryAnon: mb(kb.binaryAnon),
    malloc: mb(kb.malloc),
    anonMaps: mb(kb.anonMaps),
    files: mb(kb.files),
  };
}
