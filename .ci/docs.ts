/**
 * `deno task docs`: rewrites the README's flag tables from `lib/cli/specs.ts` (and the role files it re-exports).
 *
 * @module
 */

import { renderReadme } from "../lib/cli/docs.ts";

const path = new URL("../README.md", import.meta.url);
const before = await Deno.readTextFile(path);
const after = renderReadme(before);
if (after === before) {
  console.log("README.md flag tables are up to date");
} else {
  await Deno.writeTextFile(path, after);
  console.log("README.md flag tables rewritten");
}
