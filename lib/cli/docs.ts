/**
 * The README's flag tables, rendered from the same flag specs that drive parsing and `--help`, so
 * the two cannot drift. `deno task docs` rewrites each table between its markers
 * (`<!-- flags:NAME -->` … `<!-- /flags:NAME -->`); `tests/readme.test.ts` fails when they differ.
 *
 * @module
 */

import { commandFlags, FLAG_SECTIONS } from "./commands.ts";
import { envOf, type FlagSpec } from "./flags.ts";

/** A flag's default as the README shows it: code for a literal, prose for a computed one. */
export function defaultCell(spec: FlagSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined || spec.default === "") return "";
  return "`" + spec.default + "`";
}

/** The commands of `commands` that take `spec`. */
function takers(spec: FlagSpec, commands: readonly string[]): string[] {
  return commands.filter((c) => commandFlags(c).some((f) => f.name === spec.name));
}

function defaultsAcross(spec: FlagSpec, commands: readonly string[]): string {
  const cells = commands.map((c) =>
    defaultCell(commandFlags(c).find((f) => f.name === spec.name)!)
  );
  const common = cells[0] ?? "";
  const others = commands.flatMap((c, i) => cells[i] !== common ? [`\`${c}\`: ${cells[i]}`] : []);
  return others.length === 0 ? common : `${common} (${others.join("; ")})`;
}

/** Renders rows as a Markdown table padded the way `deno fmt` pads it. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The Markdown table for one section (`gossip`, `sidecar`, `task`, `members`). */
export function flagTable(section: string): string {
  const table = FLAG_SECTIONS[section];
  if (!table) throw new Error(`no flag table ${JSON.stringify(section)}`);
  const rows = table.flags.map((spec) => {
    const variable = envOf(spec);
    const commands = takers(spec, table.commands);
    if (commands.length === 0) throw new Error(`bug: no command of ${section} takes ${spec.name}`);
    const only = commands.length < table.commands.length
      ? commands.map((c) => "`" + c + "`").join(", ") + " only: "
      : "";
    return [
      "`--" + spec.name + "`",
      defaultsAcross(spec, commands),
      variable === null ? "none" : "`" + variable + "`",
      only + spec.help.replaceAll("|", "\\|"),
    ];
  });
  return markdownTable(["flag", "default", "variable", "meaning"], rows);
}

/** The names of the generated tables. */
export const FLAG_TABLES: readonly string[] = Object.keys(FLAG_SECTIONS);

/**
 * Replaces every generated table in `readme` with its current rendering. Throws when a marker is
 * missing, so a README that lost a table fails loudly instead of silently going stale.
 */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const section of FLAG_TABLES) {
    const open = `<!-- flags:${section} -->`;
    const close = `<!-- /flags:${section} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`README lacks ${open} … ${close}`);
    out = out.slice(0, start) + `${open}\n\n${flagTable(section)}\n\n` + out.slice(end);
  }
  return out;
}
