/**
 * The one byte-vector notation and hex helper of the tests: byte arrays from annotated capture
 * text, as written in wire spec §10 — hex byte runs (`a5`, `bebc2000`) and quoted ASCII
 * (`"LTime"`), separated by spaces — and lowercase hex back for assertion messages.
 *
 * @example
 * ```ts
 * import { capture, hex } from "./bytes.ts";
 * console.assert(hex(capture(`a2"py" x2`)) === "a2707979");
 * ```
 *
 * @module
 */

/** Bytes from tokens like `08 05 85 a5"Flags" 01`; `xN` repeats the previous byte N-1 more times. */
export function capture(text: string): Uint8Array {
  const out: number[] = [];
  const re = /"([^"]*)"|x(\d+)|([0-9a-fA-F]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push(...new TextEncoder().encode(m[1]));
    else if (m[2] !== undefined) {
      const last = out[out.length - 1]!;
      for (let i = 1; i < Number(m[2]); i++) out.push(last);
    } else {
      const hex = m[3]!;
      if (hex.length % 2 !== 0) throw new Error(`Odd hex run "${hex}" in capture`);
      for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
    }
  }
  return Uint8Array.from(out);
}

/**
 * Lowercase hex of bytes, for readable assertion diffs; `separator` between bytes (`" "` keeps a
 * substring search byte-aligned).
 */
export function hex(b: Uint8Array, separator = ""): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(separator);
}
