/**
 * The words and numbers of a study report (report.ts), before any markup: the tables in the papers'
 * layout (rows = the baseline axis's values, columns = datasets, one table per combination of the
 * other axes, an average-gain column as Sun et al.), the comparisons with their tests and verdicts,
 * the pretrainings, the legend. report-markdown.ts and report-html.ts only add their syntax, so
 * the two reports say the same thing. Scores follow score-format.ts (0–1 metrics ×100).
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
import { type AverageGain, formatP } from './stats/index.js';

/** Marks of significant gains and losses in the tables. */
export const GAIN_MARK = '▲';
export const LOSS_MARK = '▼';

/** A table as text: its header and rows of cells. */
export interface TextTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const pText = (p: number) => (Number.isFinite(p) ? formatP(p) : MISSING);

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

/** One of the papers' tables: a row per value of the row axis, a column per dataset. */
export function scoreTable(report: StudyReport, table: ReportTable): TextTable {
  const withGain = report.study.baseline !== null;
  return {
    header: [
      report.rowAxis ?? '',
      ...table.datasets.map((d) => `${d.dataset} (${metricLabel(d.metric)})`),
      ...(withGain ? ['average gain'] : []),
    ],
    rows: table.rows.map((row) => [
      row.isBaseline ? `${row.label} (baseline)` : row.label,
      ...row.cells.map((c) =>
        cellText(
          report.cells[c.cell]!,
          c.comparison === null ? undefined : report.comparisons[c.comparison],
          c.mark,
        ),
      ),
      ...(withGain ? [row.isBaseline ? MISSING : averageGainText(row.averageGains)] : []),
    ]),
  };
}

/** Every comparison of one table against the baseline, with its tests and verdict. */
export function comparisonTable(report: StudyReport, table: ReportTable): TextTable {
  return {
    header: [
      report.rowAxis ?? '',
      'dataset',
      'pairs',
      'Δ',
      '95% CI',
      't p',
      'Wilcoxon p',
      'Holm p',
      'verdict',
    ],
    rows: report.comparisons
      .filter((c) => c.table === table.id)
      .map((c) => {
        const unpaired = c.missingInArm.length + c.missingInBaseline.length;
        const ci = `[${formatScore(c.ci.low, c.metric, true)}, ${formatScore(c.ci.high, c.metric, true)}]`;
        return [
          showValue(c.arm),
          c.dataset,
          unpaired > 0 ? `${c.n} (${unpaired} unpaired)` : String(c.n),
          c.n === 0 ? MISSING : formatScore(c.meanGain, c.metric, true),
          c.n === 0 ? MISSING : ci,
          pText(c.tP),
          pText(c.wilcoxonP),
          pText(c.pHolm),
          c.verdict,
        ];
      }),
  };
}

export function pretrainTable(report: StudyReport): TextTable {
  return {
    header: ['key', 'objective', 'inputs', 'used by', 'done', 'loss curves'],
    rows: report.pretrains.map((p) => [
      p.key,
      p.objective,
      p.inputs.join(' + '),
      String(p.usedBy),
      p.done ? 'yes' : 'no',
      p.lossFiles?.map((f) => f.file).join(', ') ?? MISSING,
    ]),
  };
}

/** "Datasets: …; seeds: …; fixed: split = scaffold." */
export function studyFacts(report: StudyReport): string {
  const s = report.study;
  const fixed = Object.entries(report.fixed).map(([k, v]) => `${k} = ${showValue(v)}`);
  return (
    `Datasets: ${s.datasets.join(', ')}; seeds: ${s.seeds.join(', ')}` +
    (fixed.length > 0 ? `; fixed: ${fixed.join(', ')}` : '') +
    '.'
  );
}

/** What the score tables' cells, Δ, marks and dashes mean. */
export function legendLines(report: StudyReport): string[] {
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

/** How the comparisons were tested (null when there are none). */
export function comparisonsNote(report: StudyReport): string | null {
  const first = report.comparisons[0];
  if (first === undefined) return null;
  return (
    `95% CI: percentile bootstrap of the mean gain (${first.ci.resamples} resamples). ` +
    `Verdicts use the ${report.test === 't' ? 'paired t' : 'Wilcoxon'} p, Holm-adjusted over ` +
    `${report.familySize} comparisons; t p and Wilcoxon p are unadjusted.`
  );
}
