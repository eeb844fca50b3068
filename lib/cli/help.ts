/**
 * The `--help` texts, rendered from the command table (`commands.ts`) and the flag tables
 * (`specs.ts`): a usage line, the summary, the arguments, the flags (each with its meaning, default
 * and `SHOAL_*` variable) and the examples, wrapped to 80 columns.
 *
 * @module
 */

import { COMMANDS } from "./commands.ts";
import { envOf, type FlagSpec } from "./flags.ts";

/** The width help text is wrapped to. */
const WIDTH = 80;
/** Indent of each item under a heading. */
const INDENT = 2;
/** Space between an item's term and its description. */
const GAP = 2;

/** What the program is, on the root help. */
const ABOUT =
  "Connect short-lived workers to HAProxy with gossip: no registry, no polling, no reloads.";

/** The root flags (before any subcommand). */
const ROOT_FLAGS: readonly [string, string][] = [
  ["--version", "print the version (same as 'shoal version')"],
  ["-h, --help", "show help"],
];

/** Breaks `text` into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ").filter((w) => w !== "")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** One heading's items, terms padded to `termWidth` and descriptions wrapped beside them. */
function items(heading: string, rows: readonly [string, string][], termWidth: number): string {
  const column = INDENT + termWidth + GAP;
  const out = [`${heading}:`];
  for (const [term, description] of rows) {
    const lines = wrap(description, Math.max(20, WIDTH - column));
    out.push(`${" ".repeat(INDENT)}${term.padEnd(termWidth + GAP)}${lines[0] ?? ""}`.trimEnd());
    for (const more of lines.slice(1)) out.push(`${" ".repeat(column)}${more}`);
  }
  return out.join("\n");
}

function flagTerm(spec: FlagSpec): string {
  return spec.kind === "bool"
    ? `--${spec.name}`
    : `--${spec.name} ${spec.placeholder ?? "<value>"}`;
}

/** A flag's description: its meaning, then its default and variable in parentheses. */
export function describeFlag(spec: FlagSpec): string {
  const extra: string[] = [];
  if (spec.defaultText !== undefined) extra.push(`default ${spec.defaultText}`);
  else if (spec.default !== undefined && spec.default !== "" && spec.kind !== "bool") {
    extra.push(`default ${spec.default}`);
  }
  const variable = envOf(spec);
  if (variable !== null) extra.push(`env ${variable}`);
  return extra.length === 0 ? spec.help : `${spec.help} (${extra.join("; ")})`;
}

function commandTerm(name: string): string {
  const def = COMMANDS[name]!;
  return [name, def.flags.length > 0 ? "[options]" : "", def.argument?.name ?? ""]
    .filter((s) => s !== "").join(" ");
}

/** `shoal --help`: the root usage, its flags and every subcommand. */
export function rootHelp(): string {
  const commands = Object.keys(COMMANDS).map((n) =>
    [commandTerm(n), COMMANDS[n]!.summary] as [
      string,
      string,
    ]
  );
  const termWidth = Math.max(...[...ROOT_FLAGS, ...commands].map(([t]) => t.length));
  return [
    "Usage: shoal [options] [command]",
    "",
    wrap(ABOUT, WIDTH).join("\n"),
    "",
    items("Options", ROOT_FLAGS, termWidth),
    "",
    items("Commands", commands, termWidth),
    "",
  ].join("\n");
}

/** `shoal <command> --help`. */
export function commandHelp(name: string): string {
  const def = COMMANDS[name]!;
  const flags: [string, string][] = [
    ...def.flags.map((s) => [flagTerm(s), describeFlag(s)] as [string, string]),
    ["-h, --help", "show help"],
  ];
  const args: [string, string][] = def.argument
    ? [[def.argument.name.replace(/^[[<]|(\.\.\.)?[\]>]$/g, ""), def.argument.help]]
    : [];
  const termWidth = Math.max(...[...flags, ...args].map(([t]) => t.length));
  const usage = ["Usage: shoal", name, "[options]", def.argument?.name ?? ""]
    .filter((s) => s !== "").join(" ");
  const parts = [usage, "", wrap(def.summary, WIDTH).join("\n"), ""];
  if (args.length > 0) parts.push(items("Arguments", args, termWidth), "");
  parts.push(items("Options", flags, termWidth));
  return parts.join("\n") + (def.examples ?? "") + "\n";
}
