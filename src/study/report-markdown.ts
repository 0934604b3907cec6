/**
 * Markdown of a study report (report.ts): the tables in the papers' layout (rows = the baseline
 * axis's values, columns = datasets, one table per combination of the other axes, an average-gain
 * column as Sun et al.), then every comparison with its tests and verdict, the pretrainings and the
 * settings. Scores on a 0–1 scale (ROC-AUC, PRC-AUC, accuracy) are shown ×100 with one decimal, as
 * the papers print them; report.json keeps the raw numbers.
 */

import {
  type CellStats,
  type ComparisonEntry,
  type ReportTable,
  type StudyReport,
  showValue,
  type TableCell,
} from './report.js';
import { formatScore, isPercentMetric, MISSING, metricLabel } from './score-format.js';
import type { AverageGain } from './stats/index.js';
import { formatP } from './stats/index.js';

/** Marks of significant gains and losses in the tables. */
export const GAIN_MARK = '▲';
export const LOSS_MARK = '▼';
const pText = (p: number) => (Number.isFinite(p) ? formatP(p) : MISSING);
const escapeCell = (s: string) => s.replaceAll('|', '\\|');

function tableMd(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

/** "mean ± std (Δ) ▲ [n/N]", or "–" without a finished run. */
export function cellText(cell: CellStats, comparison: ComparisonEntry | undefined, mark: TableCell['mark']) {
  if (cell.n === 0) return MISSING;
  let text = `${formatScore(cell.mean, cell.metric)} ± ${formatScore(cell.std, cell.metric)}`;
  if (comparison && comparison.n > 0) text += ` (${formatScore(comparison.meanGain, cell.metric, true)})`;
  if (mark) text += ` ${mark === 'gain' ? GAIN_MARK : LOSS_MARK}`;
  if (cell.n < cell.planned) text += ` [${cell.n}/${cell.planned}]`;
  return text;
}

/** "+1.2 ± 0.8", per metric when the datasets use several, "(k/D)" when datasets lack a gain. */
export function averageGainText(gains: readonly AverageGain[]): string {
  if (gains.length === 0) return MISSING;
  return gains
    .map((g) => {
      if (!Number.isFinite(g.meanGain)) return MISSING;
      const have = g.datasets.filter((d) => Number.isFinite(d.meanGain)).length;
      let text = formatScore(g.meanGain, g.metric, true);
      if (Number.isFinite(g.stdGain)) text += ` ± ${formatScore(g.stdGain, g.metric)}`;
      if (gains.length > 1) text += ` ${metricLabel(g.metric)}`;
      if (have < g.datasets.length) text += ` (${have}/${g.datasets.length})`;
      return text;
    })
    .join('; ');
}

function mainTable(report: StudyReport, table: ReportTable): string[] {
  const axis = report.rowAxis ?? '';
  const header = [
    axis,
    ...table.datasets.map((d) => `${d.dataset} (${metricLabel(d.metric)})`),
    ...(report.study.baseline ? ['average gain'] : []),
  ];
  const rows = table.rows.map((row) => [
    row.isBaseline ? `${row.label} (baseline)` : row.label,
    ...row.cells.map((c) =>
      cellText(
        report.cells[c.cell]!,
        c.comparison === null ? undefined : report.comparisons[c.comparison],
        c.mark,
      ),
    ),
    ...(report.study.baseline ? [row.isBaseline ? MISSING : averageGainText(row.averageGains)] : []),
  ]);
  return tableMd(header, rows);
}

function comparisonTable(report: StudyReport, table: ReportTable): string[] {
  const cmp = report.comparisons.filter((c) => c.table === table.id);
  const rows = cmp.map((c) => {
    const ci = `[${formatScore(c.ci.low, c.metric, true)}, ${formatScore(c.ci.high, c.metric, true)}]`;
    return [
      showValue(c.arm),
      c.dataset,
      c.missingInArm.length + c.missingInBaseline.length > 0
        ? `${c.n} (${c.missingInArm.length + c.missingInBaseline.length} unpaired)`
        : String(c.n),
      c.n === 0 ? MISSING : formatScore(c.meanGain, c.metric, true),
      c.n === 0 ? MISSING : ci,
      pText(c.tP),
      pText(c.wilcoxonP),
      pText(c.pHolm),
      c.verdict,
    ];
  });
  return tableMd(
    [report.rowAxis ?? '', 'dataset', 'pairs', 'Δ', '95% CI', 't p', 'Wilcoxon p', 'Holm p', 'verdict'],
    rows,
  );
}

function legend(report: StudyReport): string[] {
  const metrics = [...new Set(report.cells.map((c) => c.metric))];
  const percent = metrics.filter(isPercentMetric).map(metricLabel);
  const out = [
    `Cells: test ${metrics.map(metricLabel).join(' / ')} of each seed, mean ± std over seeds (population std)` +
      (percent.length > 0 ? `; ${percent.join(', ')} ×100.` : '.'),
  ];
  const b = report.study.baseline;
  if (b) {
    const test = report.test === 't' ? 'paired t-test' : 'Wilcoxon signed-rank test';
    out.push(
      `Δ: mean paired gain over the baseline ${b.axis} = ${showValue(b.value)}, paired by seed ` +
        '(positive = better, for lower-is-better metrics too); average gain: mean ± std over datasets of Δ (Sun et al. 2022).',
      `${GAIN_MARK} / ${LOSS_MARK}: significant gain / loss at α = ${report.alpha} ` +
        `(${test}, Holm-adjusted over the ${report.familySize} testable comparisons of this report).`,
    );
  }
  out.push(`${MISSING}: no finished run; [n/N]: n of N seeds finished.`);
  return out;
}

/** The Markdown report. */
export function renderMarkdown(report: StudyReport): string {
  const s = report.study;
  const lines: string[] = [`# Study ${s.name}`, ''];
  if (s.description) lines.push(s.description, '');
  lines.push(`**${report.progress}.**`, '');
  const fixed = Object.entries(report.fixed).map(([k, v]) => `${k} = ${showValue(v)}`);
  lines.push(
    `Datasets: ${s.datasets.join(', ')}; seeds: ${s.seeds.join(', ')}` +
      (fixed.length > 0 ? `; fixed: ${fixed.join(', ')}` : '') +
      '.',
    '',
  );
  for (const l of legend(report)) lines.push(`${l}  `);
  lines.push('');
  for (const w of report.warnings) lines.push(`> warning: ${w}`, '');
  for (const t of report.tables) lines.push(`## ${t.title}`, '', ...mainTable(report, t), '');
  if (report.comparisons.length > 0) {
    lines.push('## Comparisons with the baseline', '');
    lines.push(
      `95% CI: percentile bootstrap of the mean gain (${report.comparisons[0]!.ci.resamples} resamples). ` +
        `Verdicts use the ${report.test === 't' ? 'paired t' : 'Wilcoxon'} p, Holm-adjusted over ` +
        `${report.familySize} comparisons; t p and Wilcoxon p are unadjusted.`,
      '',
    );
    for (const t of report.tables) {
      if (report.tables.length > 1) lines.push(`### ${t.title}`, '');
      lines.push(...comparisonTable(report, t), '');
    }
  }
  if (report.pretrains.length > 0) {
    lines.push('## Pretrainings', '');
    lines.push(
      ...tableMd(
        ['key', 'objective', 'inputs', 'used by', 'done', 'loss curves'],
        report.pretrains.map((p) => [
          p.key,
          p.objective,
          p.inputs.join(' + '),
          String(p.usedBy),
          p.done ? 'yes' : 'no',
          p.lossFiles?.map((f) => f.file).join(', ') ?? MISSING,
        ]),
      ),
      '',
    );
  }
  lines.push('## Settings', '', '```json');
  lines.push(JSON.stringify({ finetune: s.finetune, pretrain: s.pretrain }, null, 2), '```', '');
  lines.push(
    `Generated ${report.generatedAt} by molgrove ${report.molgrove}` +
      (report.versions.length > 0 ? `; results from molgrove ${report.versions.join(', ')}` : '') +
      '. Every run, score and resolved config: report.json.',
  );
  return `${lines.join('\n')}\n`;
}
