import type { RunResult } from "./results.ts";
import type { Goal, Row, Scenario } from "./scenario.ts";

/**
 * The table: one line per figure, hermes beside the pipe proxy and their ratio, for every run, with
 * issue 18's bar and whether each run met it. Rendered as aligned text for the terminal and as
 * Markdown for docs/performance.md.
 */

export interface TableLine {
  scenario: string;
  label: string;
  goal: string;
  /** `extra`: one cell per `Column`, in order. */
  runs: { hermes: string; pipe: string; ratio: string; met: boolean | undefined; extra: string[] }[];
}

/**
 * A column per run beside hermes and the pipe proxy: another target's figure (a peer gateway, hermes
 * on another storage), or with `ratio`, hermes's figure over that target's.
 */
export interface Column {
  header: string;
  target: string;
  ratio?: boolean;
}

/** One cell of a `Column`. */
function extraCell(column: Column, hermes: number | undefined, other: number | undefined, digits: number | undefined, signed = false): string {
  if (!column.ratio) return format(other, digits, signed);
  return hermes !== undefined && other !== undefined && other > 0 && hermes >= 0 ? (hermes / other).toFixed(2) : "";
}

const memoryRows: {
  label: string;
  pick: (run: RunResult, target: string, scenarios: readonly Scenario[]) => number | undefined;
  goal?: Goal;
  digits?: number;
}[] = [
  { label: "RSS idle (MiB)", pick: (run, target) => run.idleRssMiB[target], goal: { text: "≤ 70 MiB", of: "value", max: 70 } },
  {
    label: "RSS peak at 50 connections (MiB)",
    pick: (run, target, scenarios) => {
      const peaks = scenarios
        .filter((scenario) => scenario.memory)
        .map((scenario) => run.scenarios[scenario.name]?.targets[target]?.figures.rssPeakMiB)
        .filter((value): value is number => value !== undefined);
      return peaks.length > 0 ? Math.max(...peaks) : undefined;
    },
    goal: { text: "≤ 130 MiB", of: "value", max: 130 },
  },
  { label: "RSS after the run (MiB)", pick: (run, target) => run.afterRssMiB[target] },
  {
    label: "RSS growth over the soak (end / start)",
    pick: (run, target) => run.soak?.[target]?.growth,
    digits: 2,
    goal: { text: "≤ 1.10", of: "value", max: 1.1 },
  },
  {
    label: "live heap after a full GC, soak end / start",
    pick: (run, target) => {
      const live = run.soak?.[target]?.liveHeapMiB;
      return live && live.end / live.start;
    },
    digits: 2,
  },
];

export function tableLines(scenarios: readonly Scenario[], runs: readonly RunResult[], columns: readonly Column[] = []): TableLine[] {
  const lines: TableLine[] = [];
  for (const scenario of scenarios) {
    const results = runs.map((run) => run.scenarios[scenario.name]);
    if (results.every((result) => result === undefined)) continue;
    const skipped = results.find((result) => result?.skipped)?.skipped;
    if (skipped) {
      lines.push({ scenario: scenario.title, label: `skipped: ${skipped}`, goal: "", runs: [] });
      continue;
    }
    for (const row of scenario.rows) {
      lines.push({
        scenario: scenario.title,
        label: row.label,
        goal: row.goal?.text ?? "",
        runs: runs.map((run) => {
          const value = (target: string) => figure(run, scenario.name, row, target);
          const hermes = value("hermes");
          const pipe = value("pipe");
          return {
            hermes: format(hermes, row.digits, row.added),
            pipe: format(pipe, row.digits, row.added),
            // A ratio of two added latencies means nothing once either is at or below the direct hop's.
            ratio: hermes !== undefined && pipe !== undefined && pipe > 0 && hermes >= 0 ? (hermes / pipe).toFixed(2) : "",
            met: row.goal && meets(row.goal, hermes, pipe, () => otherFigure(run, row, row.goal!)),
            extra: columns.map((column) => extraCell(column, hermes, value(column.target), row.digits, row.added)),
          };
        }),
      });
    }
  }
  for (const row of memoryRows) {
    if (runs.every((run) => row.pick(run, "hermes", scenarios) === undefined)) continue;
    lines.push({
      scenario: "Memory",
      label: row.label,
      goal: row.goal?.text ?? "",
      runs: runs.map((run) => {
        const hermes = row.pick(run, "hermes", scenarios);
        const pipe = row.pick(run, "pipe", scenarios);
        return {
          hermes: format(hermes, row.digits ?? 0),
          pipe: format(pipe, row.digits ?? 0),
          ratio: hermes !== undefined && pipe ? (hermes / pipe).toFixed(2) : "",
          met: row.goal && meets(row.goal, hermes, pipe, () => undefined),
          extra: columns.map((column) => extraCell(column, hermes, row.pick(run, column.target, scenarios), row.digits ?? 0)),
        };
      }),
    });
  }
  return lines;
}

function figure(run: RunResult, scenario: string, row: Row, target: string): number | undefined {
  const targets = run.scenarios[scenario]?.targets;
  const value = targets?.[target]?.figures[row.figure];
  if (value === undefined || !row.added) return value;
  const direct = targets?.direct?.figures[row.figure];
  return direct === undefined ? undefined : value - direct;
}

function otherFigure(run: RunResult, row: Row, goal: Goal): number | undefined {
  return typeof goal.of === "object" ? figure(run, goal.of.scenario, row, "hermes") : undefined;
}

function meets(goal: Goal, hermes: number | undefined, pipe: number | undefined, other: () => number | undefined): boolean | undefined {
  let subject: number | undefined;
  if (goal.of === "value") subject = hermes;
  else if (goal.of === "ratio") subject = hermes !== undefined && pipe ? hermes / pipe : undefined;
  else {
    const base = other();
    subject = hermes !== undefined && base !== undefined ? hermes - base : undefined;
  }
  if (subject === undefined || Number.isNaN(subject)) return undefined;
  return (goal.max === undefined || subject <= goal.max) && (goal.min === undefined || subject >= goal.min);
}

function format(value: number | undefined, digits = 2, signed = false): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  const text = value.toFixed(digits);
  return signed && value >= 0 ? `+${text}` : text;
}

const mark = (met: boolean | undefined) => (met === undefined ? "" : met ? "yes" : "NO");

function header(runs: number, extra: readonly Column[]): string[] {
  const columns = ["figure", "goal"];
  for (let i = 1; i <= runs; i++) columns.push(`run ${i} hermes`, "pipe", "×pipe", ...extra.map((column) => column.header));
  columns.push("met");
  return columns;
}

function cells(line: TableLine, runs: number, extra: readonly Column[]): string[] {
  const row = [line.label, line.goal];
  for (let i = 0; i < runs; i++) {
    const run = line.runs[i];
    row.push(run?.hermes ?? "", run?.pipe ?? "", run?.ratio ?? "", ...extra.map((_, column) => run?.extra[column] ?? ""));
  }
  row.push(
    line.runs
      .map((run) => mark(run.met))
      .filter(Boolean)
      .join(" "),
  );
  return row;
}

/** Aligned text, a heading line per scenario. */
export function textTable(lines: readonly TableLine[], runs: number, extra: readonly Column[] = []): string {
  const head = header(runs, extra);
  const body = lines.map((line) => cells(line, runs, extra));
  const widths = head.map((title, column) => Math.max(title.length, ...body.map((row) => row[column]!.length)));
  const render = (row: string[]) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  const out = [render(head), widths.map((width) => "-".repeat(width)).join("  ")];
  let scenario = "";
  lines.forEach((line, index) => {
    if (line.scenario !== scenario) {
      scenario = line.scenario;
      out.push(`${scenario}`);
    }
    out.push(render(body[index]!));
  });
  return out.join("\n");
}

/** The same table in Markdown, the scenario named in the first column. */
export function markdownTable(lines: readonly TableLine[], runs: number, extra: readonly Column[] = []): string {
  const head = ["scenario", ...header(runs, extra)];
  const out = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 3 ? "---" : "---:")).join("|")}|`];
  let scenario = "";
  for (const line of lines) {
    const name = line.scenario === scenario ? "" : line.scenario;
    scenario = line.scenario;
    out.push(`| ${[name, ...cells(line, runs, extra)].join(" | ")} |`);
  }
  return out.join("\n");
}

/** Variants beside hermes (A/B of two builds in one run): each figure of each run, and the ratio. */
export function variantTable(scenarios: readonly Scenario[], runs: readonly RunResult[], variants: readonly string[]): string {
  const out = ["variants against hermes (ratio = variant / hermes):"];
  for (const scenario of scenarios) {
    for (const row of scenario.rows) {
      const cellsOf = runs.map((run) => {
        const hermes = figure(run, scenario.name, row, "hermes");
        return variants
          .map((variant) => {
            const value = figure(run, scenario.name, row, variant);
            const ratio = value !== undefined && hermes ? ` (${(value / hermes).toFixed(2)})` : "";
            return `${variant} ${format(value, row.digits, row.added)}${ratio} vs ${format(hermes, row.digits, row.added)}`;
          })
          .join(", ");
      });
      if (cellsOf.every((cell) => cell.includes("–"))) continue;
      out.push(`  ${scenario.name} ${row.label}: ${cellsOf.join(" | ")}`);
    }
  }
  return out.join("\n");
}
