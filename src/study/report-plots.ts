/**
 * Vega-Lite specs of the HTML report's plots, built from the report model (report.ts) and the curves
 * read from the study folder (report-curves.ts). Pure: no I/O, no rendering (report-html.ts renders).
 *
 * - gains: each arm's mean paired gain over the baseline with its bootstrap CI, per dataset, one
 *   panel per table (split × features …) and metric, a rule at zero;
 * - effect-<axis>: mean test score per dataset for each value of an axis other than the rows' one
 *   (split, features …), averaged over the other axes' values, one line per arm;
 * - learning: validation score per epoch, mean over seeds, per arm, dataset and table;
 * - pretrain-loss: train and validation loss per step of each pretraining stage.
 *
 * Scores and gains are on the tables' scale (×100 on 0–1 metrics, as formatScore prints them). A
 * plot without data has `spec: null` and says why in `skipped`.
 */

import { type CellStats, type ReportTable, type StudyReport, showValue } from './report.js';
import type { EpochPoint, ReportCurves, StageCurve } from './report-curves.js';
import { isPercentMetric, metricLabel } from './score-format.js';

/** A Vega-Lite spec as plain JSON (vega-lite checks it when compiling). */
export type VegaLiteSpec = Readonly<Record<string, unknown>>;

export interface Plot<R = unknown> {
  readonly id: string;
  readonly title: string;
  /** What the plot shows, printed under it. */
  readonly caption: string;
  /** The data rows the spec draws (its data.values). */
  readonly rows: readonly R[];
  readonly spec: VegaLiteSpec | null;
  /** Why the plot is left out (spec null). */
  readonly skipped: string | null;
}

export interface GainRow {
  readonly panel: string;
  readonly metric: string;
  readonly dataset: string;
  readonly arm: string;
  readonly n: number;
  readonly gain: number;
  /** Bootstrap CI bounds; null when undefined (fewer than two pairs). */
  readonly low: number | null;
  readonly high: number | null;
  readonly significant: 'significant' | 'not significant';
}

export interface EffectRow {
  readonly dataset: string;
  readonly value: string;
  readonly arm: string;
  /** Mean over the cells of the other axes' values of each cell's mean test score. */
  readonly mean: number;
  readonly cells: number;
}

export interface CurveRow {
  readonly panel: string;
  readonly dataset: string;
  readonly arm: string;
  readonly epoch: number;
  /** Mean over the seeds that reached this epoch. */
  readonly valid: number;
  readonly seeds: number;
}

export interface LossRow {
  readonly panel: string;
  readonly kind: 'train' | 'valid';
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
}

const PANEL_WIDTH = 220;
const PANEL_HEIGHT = 150;

/** The tables' scale of a metric: formatScore's rule (×100 on 0–1 metrics), not a second copy of it. */
export const scaleOf = (metric: string): number => (isPercentMetric(metric) ? 100 : 1);
const scaled = (x: number, metric: string) => x * scaleOf(metric);
const finiteOrNull = (x: number, metric: string) => (Number.isFinite(x) ? scaled(x, metric) : null);

const yTitle = (report: StudyReport, prefix: string) => {
  const labels = [...new Set(report.cells.map((c) => metricLabel(c.metric)))];
  return `${prefix} ${labels.join(' / ')}`;
};

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The table whose group (values of the non-row axes) the axes match. */
function tableOf(report: StudyReport, axes: Readonly<Record<string, unknown>>): ReportTable | undefined {
  return report.tables.find((t) => Object.entries(t.group).every(([k, v]) => sameValue(axes[k], v)));
}

const armOf = (report: StudyReport, axes: Readonly<Record<string, unknown>>) =>
  report.rowAxis === null ? 'all' : showValue(axes[report.rowAxis]);

/** Row-axis values in the study's order (the legend's and colours' order). */
const armOrder = (report: StudyReport) =>
  report.rowAxis === null ? ['all'] : (report.study.axes[report.rowAxis] ?? []).map(showValue);

function skipped<R>(id: string, title: string, caption: string, why: string): Plot<R> {
  return { id, title, caption, rows: [], spec: null, skipped: why };
}

const nominal = (field: string, extra: Record<string, unknown> = {}) => ({
  field,
  type: 'nominal',
  ...extra,
});
// The whole axis as the domain: an arm has one colour in every plot, baseline included.
const armColor = (report: StudyReport) =>
  nominal('arm', {
    title: report.rowAxis ?? 'runs',
    sort: armOrder(report),
    scale: { domain: armOrder(report) },
  });

/** One row of panels per table: only when there are several (one table is "all runs"). */
const tableRows = (report: StudyReport) =>
  report.tables.length > 1
    ? { row: nominal('panel', { title: null, sort: report.tables.map((t) => t.title) }) }
    : {};

// --- (a) gains over the baseline ------------------------------------------------------------------

export function gainRows(report: StudyReport): GainRow[] {
  return report.comparisons
    .filter((c) => c.n > 0 && Number.isFinite(c.meanGain))
    .map((c) => ({
      panel: report.tables[c.table]?.title ?? '',
      metric: metricLabel(c.metric),
      dataset: c.dataset,
      arm: showValue(c.arm),
      n: c.n,
      gain: scaled(c.meanGain, c.metric),
      low: finiteOrNull(c.ci.low, c.metric),
      high: finiteOrNull(c.ci.high, c.metric),
      significant: c.significant ? 'significant' : 'not significant',
    }));
}

export function gainPlot(report: StudyReport): Plot<GainRow> {
  const b = report.study.baseline;
  const title = 'Gain over the baseline';
  const caption = b
    ? `Mean paired gain over ${b.axis} = ${showValue(b.value)} (positive = better) with its ` +
      `${Math.round((report.comparisons[0]?.ci.confidence ?? 0.95) * 100)}% bootstrap CI; ` +
      `diamonds: significant after Holm's correction.`
    : '';
  if (!b) return skipped('gains', title, caption, 'the study has no baseline: no gains to show.');
  const rows = gainRows(report);
  if (rows.length === 0)
    return skipped('gains', title, caption, 'no comparison with the baseline has paired runs yet.');
  const arms = new Set(rows.map((r) => r.arm)).size;
  const x = nominal('dataset', { sort: report.study.datasets, title: null, axis: { labelAngle: 0 } });
  const xOffset = nominal('arm', { sort: armOrder(report) });
  const width = Math.min(640, Math.max(PANEL_WIDTH, report.study.datasets.length * arms * 14));
  const spec = {
    data: { values: rows },
    facet: { ...tableRows(report), column: nominal('metric', { title: null }) },
    spec: {
      width,
      height: PANEL_HEIGHT,
      layer: [
        { mark: { type: 'rule', color: '#777', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
        {
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            x,
            xOffset,
            y: { field: 'low', type: 'quantitative', title: yTitle(report, 'Δ') },
            y2: { field: 'high' },
            color: armColor(report),
          },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x,
            xOffset,
            y: { field: 'gain', type: 'quantitative' },
            color: armColor(report),
            shape: nominal('significant', {
              title: null,
              scale: { domain: ['significant', 'not significant'], range: ['diamond', 'circle'] },
            }),
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { id: 'gains', title, caption, rows, spec, skipped: null };
}

// --- (b) effect of the other axes -----------------------------------------------------------------

/** Axes besides the rows' one with more than one value: split, features … */
export function effectAxes(report: StudyReport): string[] {
  return Object.entries(report.study.axes)
    .filter(([name, values]) => name !== report.rowAxis && values.length > 1)
    .map(([name]) => name);
}

export function effectRows(report: StudyReport, axis: string): EffectRow[] {
  const groups = new Map<string, { dataset: string; value: string; arm: string; cells: CellStats[] }>();
  for (const cell of report.cells) {
    if (cell.n === 0) continue;
    const key = { dataset: cell.dataset, value: showValue(cell.axes[axis]), arm: armOf(report, cell.axes) };
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? { ...key, cells: [] };
    g.cells.push(cell);
    groups.set(id, g);
  }
  return [...groups.values()].map(({ cells, ...key }) => ({
    ...key,
    mean: cells.reduce((s, c) => s + scaled(c.mean, c.metric), 0) / cells.length,
    cells: cells.length,
  }));
}

/** Column titles "bbbp (ROC-AUC)": the metric each dataset is scored with. */
function datasetLabels(report: StudyReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of report.cells)
    if (!out.has(c.dataset)) out.set(c.dataset, `${c.dataset} (${metricLabel(c.metric)})`);
  return out;
}

export function effectPlot(report: StudyReport, axis: string): Plot<EffectRow> {
  const id = `effect-${axis}`;
  const title = `Effect of ${axis}`;
  const others = effectAxes(report).filter((a) => a !== axis);
  const caption =
    `Mean test score per dataset for each ${axis}, one line per ${report.rowAxis ?? 'study'}` +
    (others.length > 0 ? `, averaged over ${others.join(', ')}.` : '.');
  const labels = datasetLabels(report);
  const rows = effectRows(report, axis).map((r) => ({ ...r, dataset: labels.get(r.dataset) ?? r.dataset }));
  if (rows.length === 0) return skipped(id, title, caption, 'no fine-tune has finished yet.');
  const values = (report.study.axes[axis] ?? []).map(showValue);
  const encoding = {
    x: nominal('value', { title: axis, sort: values, axis: { labelAngle: 0 } }),
    y: { field: 'mean', type: 'quantitative', scale: { zero: false }, title: yTitle(report, 'test') },
    color: armColor(report),
  };
  const spec = {
    data: { values: rows },
    facet: {
      column: nominal('dataset', {
        title: null,
        sort: report.study.datasets.map((d) => labels.get(d) ?? d),
      }),
    },
    spec: {
      width: Math.max(120, values.length * 50),
      height: PANEL_HEIGHT,
      layer: [
        { mark: { type: 'line' }, encoding },
        { mark: { type: 'point', filled: true, size: 50 }, encoding },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { id, title, caption, rows, spec, skipped: null };
}

/** One effect plot per axis; a single skipped entry when the study has no such axis. */
export function effectPlots(report: StudyReport): Plot<EffectRow>[] {
  const axes = effectAxes(report);
  if (axes.length > 0) return axes.map((a) => effectPlot(report, a));
  return [
    skipped(
      'effects',
      'Effect of split and features',
      '',
      `no axis besides ${report.rowAxis ?? 'the rows'} has more than one value.`,
    ),
  ];
}

// --- (c) fine-tuning learning curves --------------------------------------------------------------

export function curveRows(
  report: StudyReport,
  epochs: ReadonlyMap<string, readonly EpochPoint[]>,
): CurveRow[] {
  const labels = datasetLabels(report);
  const sums = new Map<string, { row: Omit<CurveRow, 'valid' | 'seeds'>; sum: number; seeds: number }>();
  for (const run of report.runs) {
    const points = epochs.get(run.key);
    if (points === undefined) continue;
    const panel = tableOf(report, run.axes)?.title ?? '';
    const dataset = labels.get(run.dataset) ?? run.dataset;
    const arm = armOf(report, run.axes);
    for (const p of points) {
      if (p.valid === null) continue;
      const id = JSON.stringify([panel, dataset, arm, p.epoch]);
      const s = sums.get(id) ?? { row: { panel, dataset, arm, epoch: p.epoch }, sum: 0, seeds: 0 };
      s.sum += scaled(p.valid, run.metric);
      s.seeds++;
      sums.set(id, s);
    }
  }
  return [...sums.values()].map((s) => ({ ...s.row, valid: s.sum / s.seeds, seeds: s.seeds }));
}

export function learningPlot(report: StudyReport, curves: ReportCurves): Plot<CurveRow> {
  const title = 'Fine-tuning learning curves';
  const caption = `Validation score per epoch, mean over the seeds that reached it, per ${report.rowAxis ?? 'study'}.`;
  const rows = curveRows(report, curves.epochs);
  if (rows.length === 0)
    return skipped(
      'learning',
      title,
      caption,
      'no finished fine-tune has a readable epochs.jsonl with scores.',
    );
  const labels = datasetLabels(report);
  const spec = {
    data: { values: rows },
    facet: {
      ...tableRows(report),
      column: nominal('dataset', { title: null, sort: report.study.datasets.map((d) => labels.get(d) ?? d) }),
    },
    spec: {
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      mark: { type: 'line', point: { size: 16 } },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'valid', type: 'quantitative', scale: { zero: false }, title: yTitle(report, 'valid') },
        color: armColor(report),
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { id: 'learning', title, caption, rows, spec, skipped: null };
}

// --- (d) pretraining loss curves ------------------------------------------------------------------

function stagePanel(report: StudyReport, c: StageCurve): string {
  const p = report.pretrains.find((x) => x.key === c.pretrain);
  const stages = p?.lossFiles?.length ?? 1;
  const name = `${p?.objective ?? c.objective} (${c.pretrain})`;
  return stages > 1 ? `${name}, stage ${c.stage + 1}: ${c.objective}` : name;
}

export function lossRows(report: StudyReport, losses: readonly StageCurve[]): LossRow[] {
  return losses.flatMap((c) => {
    const panel = stagePanel(report, c);
    return c.points.flatMap((p) =>
      p.loss === null ? [] : [{ panel, kind: p.kind, step: p.step, epoch: p.epoch, loss: p.loss }],
    );
  });
}

export function pretrainLossPlot(report: StudyReport, curves: ReportCurves): Plot<LossRow> {
  const title = 'Pretraining loss curves';
  const caption =
    'Total loss per optimizer step: train (mean over each logging window) and validation (per epoch).';
  if (report.pretrains.length === 0)
    return skipped('pretrain-loss', title, caption, 'the study has no pretraining.');
  const rows = lossRows(report, curves.losses);
  if (rows.length === 0)
    return skipped('pretrain-loss', title, caption, 'no finished pretraining has a readable loss.jsonl.');
  const panels = [...new Set(rows.map((r) => r.panel))];
  const spec = {
    data: { values: rows },
    facet: nominal('panel', { title: null, sort: panels }),
    columns: 3,
    spec: {
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      mark: { type: 'line', point: { size: 16 } },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'loss', type: 'quantitative', scale: { zero: false }, title: 'loss' },
        color: nominal('kind', { title: null, sort: ['train', 'valid'] }),
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
  return { id: 'pretrain-loss', title, caption, rows, spec, skipped: null };
}

/** Every plot of the report, in the order the HTML shows them. */
export function reportPlots(report: StudyReport, curves: ReportCurves): Plot[] {
  return [
    gainPlot(report),
    ...effectPlots(report),
    learningPlot(report, curves),
    pretrainLossPlot(report, curves),
  ];
}
