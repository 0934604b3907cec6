/**
 * The report model of a study: what `molgrove study report` prints as Markdown (report-markdown.ts),
 * saves as report.json, and what the HTML report draws from. Built from the plan (what should run)
 * and the results store (what did); nothing here prints.
 *
 * - Cells: per dataset × combination of axis values, the mean ± std over seeds of each run's test
 *   score (population std, ddof 0, as `molgrove finetune` and Hu et al.'s scripts report).
 * - Tables, the papers' layout: rows = the values of the baseline's axis (e.g. objectives), columns =
 *   datasets, one table per combination of the other axes (split × features × …), and Sun et al.'s
 *   average gain per row.
 * - Comparisons: each non-baseline row value against the baseline value in the same table and
 *   dataset, paired by seed (everything but the baseline axis matches within a table), tested by
 *   stats/verdict.ts studyStats in ONE call, so Holm's correction runs across every comparison of
 *   the report.
 *
 * Unfinished studies are fine: runs not in the store count as missing (cells with n < planned,
 * comparisons over the pairs there are), never as errors.
 */

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { getDatasetSpec } from '../data/registry.js';
import { ConfigError } from '../errors.js';
import { getMetric } from '../metrics/index.js';
import { stageDir } from '../pretrain/sequence.js';
import { meanStd } from '../train/finetune.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { applyOverrides, parseStudy, readStudyObject, type Study, studyBaseDir } from './definition.js';
import type { PlannedFinetune, PlannedPretrain, StudyPlan } from './plan.js';
import { loadStudy } from './presets.js';
import { formatScore } from './score-format.js';
import {
  type AverageGain,
  averageGain,
  type Comparison,
  type Direction,
  type PrimaryTest,
  studyStats,
} from './stats/index.js';
import type { RunResult } from './store.js';

export const REPORT_FORMAT = 'molgrove-study-report';
export const REPORT_VERSION = 1;
export const REPORT_MARKDOWN_FILE = 'report.md';
export const REPORT_JSON_FILE = 'report.json';
/** Where a study folder keeps its definition, looked for in this order. */
export const STUDY_FILES = ['study.json', 'study.yaml', 'study.yml'] as const;
/** The file a pretraining stage's folder logs its losses in (pretrain/loop.ts LOSS_FILE). */
const LOSS_FILE = 'loss.jsonl';
/** The file a fine-tune's seed folder logs its epochs in (train/fit.ts). */
const EPOCHS_FILE = 'epochs.jsonl';

export interface ReportOptions {
  /** Family-wise significance level (default 0.05). */
  readonly alpha?: number;
  /** Test whose Holm-adjusted p decides the verdicts (default 'wilcoxon'). */
  readonly test?: PrimaryTest;
  /** Bootstrap resamples (default 10,000) and seed (default 0). */
  readonly bootstrap?: { readonly resamples?: number; readonly seed?: number };
  /** The study folder: recorded file paths are made relative to it. */
  readonly dir?: string;
  /** Problems met reading the store (ResultStore.warnings), carried into the report. */
  readonly warnings?: readonly string[];
  /** Time stamp of the report (default now). */
  readonly now?: Date;
}

/** One planned fine-tune and its score, if it finished. */
export interface RunScore {
  readonly key: string;
  readonly dataset: string;
  readonly seed: number;
  readonly axes: Readonly<Record<string, unknown>>;
  readonly pretrain: string | null;
  readonly done: boolean;
  /** The seed's test / validation score; null when not finished or not recorded as a number. */
  readonly test: number | null;
  readonly valid: number | null;
  readonly metric: string;
  readonly seconds: number | null;
  readonly version: string | null;
  readonly finishedAt: string | null;
  /** Per-epoch log of the fine-tune (learning curves), when the runner recorded where it is. */
  readonly epochsFile: string | null;
  /** The resolved fine-tuning config (plan.ts). */
  readonly config: unknown;
}

export interface PretrainEntry {
  readonly key: string;
  /** The objective as the axis writes it ('attrmask+supervised'). */
  readonly objective: string;
  readonly inputs: readonly string[];
  readonly usedBy: number;
  readonly done: boolean;
  readonly seconds: number | null;
  readonly version: string | null;
  /** What the runner recorded (final losses, molecules per second…). */
  readonly metrics: Readonly<Record<string, unknown>> | null;
  /**
   * Loss curve (loss.jsonl) of each stage, when the run's folder is recorded (null when not
   * finished or unknown).
   */
  readonly lossFiles: readonly { readonly objective: string; readonly file: string }[] | null;
  readonly config: unknown;
}

/** Scores of one dataset × combination of axis values over the seeds. */
export interface CellStats {
  readonly dataset: string;
  readonly axes: Readonly<Record<string, unknown>>;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly planned: number;
  /** Seeds with a score. */
  readonly n: number;
  /** NaN (null in JSON) when n = 0. */
  readonly mean: number;
  readonly std: number;
  readonly scores: readonly { readonly seed: number; readonly key: string; readonly test: number }[];
  readonly missing: readonly { readonly seed: number; readonly key: string }[];
}

/** One arm against the baseline, in one table and dataset. */
export interface ComparisonEntry {
  readonly id: number;
  readonly table: number;
  /** The other axes' values (the table's). */
  readonly group: Readonly<Record<string, unknown>>;
  readonly dataset: string;
  readonly axis: string;
  readonly arm: unknown;
  readonly baseline: unknown;
  readonly metric: string;
  readonly direction: Direction;
  readonly pairs: readonly {
    readonly seed: number;
    readonly baseline: number;
    readonly arm: number;
    /** Positive = the arm is better. */
    readonly gain: number;
  }[];
  /** Seeds that have a baseline score but no arm score, and the other way round. */
  readonly missingInArm: readonly number[];
  readonly missingInBaseline: readonly number[];
  readonly n: number;
  readonly meanGain: number;
  readonly ci: {
    readonly low: number;
    readonly high: number;
    readonly confidence: number;
    readonly resamples: number;
    readonly reason?: string;
  };
  readonly tP: number;
  /** SciPy-compatible Wilcoxon p, and the exact one under ties/zeros. */
  readonly wilcoxonP: number;
  readonly wilcoxonExactP: number;
  /** The primary test's p, and Holm-adjusted across every comparison of the report. */
  readonly p: number;
  readonly pHolm: number;
  readonly testable: boolean;
  readonly significant: boolean;
  readonly verdict: string;
}

export interface TableCell {
  readonly dataset: string;
  /** Index into `cells`. */
  readonly cell: number;
  /** Index into `comparisons`; null on the baseline row or without a baseline. */
  readonly comparison: number | null;
  /** Significant gain or loss against the baseline. */
  readonly mark: 'gain' | 'loss' | null;
}

export interface TableRow {
  readonly value: unknown;
  readonly label: string;
  readonly isBaseline: boolean;
  readonly cells: readonly TableCell[];
  /** Sun et al.'s average over datasets of the mean gain, one per metric (empty on the baseline row). */
  readonly averageGains: readonly AverageGain[];
}

export interface ReportTable {
  readonly id: number;
  readonly group: Readonly<Record<string, unknown>>;
  /** "split = scaffold, features = basic" (axes with one value left out), or "all runs". */
  readonly title: string;
  readonly datasets: readonly { readonly dataset: string; readonly metric: string }[];
  readonly rows: readonly TableRow[];
}

export interface StudyReport {
  readonly format: typeof REPORT_FORMAT;
  readonly formatVersion: number;
  readonly generatedAt: string;
  readonly molgrove: string;
  readonly study: {
    readonly name: string;
    readonly description: string | null;
    readonly datasets: readonly string[];
    readonly seeds: readonly number[];
    readonly axes: Readonly<Record<string, readonly unknown[]>>;
    readonly baseline: { readonly axis: string; readonly value: unknown } | null;
    readonly finetune: Readonly<Record<string, unknown>>;
    readonly pretrain: unknown;
  };
  readonly counts: {
    readonly finetunes: number;
    readonly finetunesDone: number;
    /** Finished fine-tunes whose result has no numeric test score. */
    readonly finetunesWithoutScore: number;
    readonly pretrains: number;
    readonly pretrainsDone: number;
    /** Results in the store that this plan does not name (another version of the study?). */
    readonly foreignResults: number;
  };
  /** "412 of 480 fine-tunes finished; 20 of 22 pretrainings finished". */
  readonly progress: string;
  /** The axis the table rows run over (the baseline's), or null when the study has none. */
  readonly rowAxis: string | null;
  /** Axes with a single value: the same in every table. */
  readonly fixed: Readonly<Record<string, unknown>>;
  readonly alpha: number;
  readonly test: PrimaryTest;
  /** Comparisons with a defined p-value: Holm's m. */
  readonly familySize: number;
  readonly versions: readonly string[];
  readonly warnings: readonly string[];
  readonly tables: readonly ReportTable[];
  readonly cells: readonly CellStats[];
  readonly comparisons: readonly ComparisonEntry[];
  readonly runs: readonly RunScore[];
  readonly pretrains: readonly PretrainEntry[];
}

/** Compact text of an axis value: strings as they are, the rest as JSON. */
export const showValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A number from a result's metrics: a number, or an object's `mean` (a summary); else null. */
function scoreOf(metrics: Readonly<Record<string, unknown>>, name: string): number | null {
  const v = metrics[name];
  const x =
    typeof v === 'number'
      ? v
      : v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)['mean'] === 'number'
        ? ((v as Record<string, unknown>)['mean'] as number)
        : null;
  return x !== null && Number.isFinite(x) ? x : null;
}

/** The metric a planned fine-tune scores with: as train/finetune.ts picks it. */
function plannedMetric(f: PlannedFinetune): string {
  const ds = getDatasetSpec(f.dataset);
  const name = f.config.metric ?? ds.metric ?? (ds.taskType === 'regression' ? 'rmse' : 'roc-auc');
  return getMetric(name).name;
}

/** A recorded file path: relative to the study folder when inside it. */
function displayPath(path: string, dir: string | undefined): string {
  if (dir === undefined || !isAbsolute(path)) return path;
  const rel = relative(dir, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The run's output folder as the runner records it (`info.dir`, relative to the study folder). */
function runDirOf(r: RunResult | undefined): string | null {
  const d = r?.info?.['dir'];
  return typeof d === 'string' ? d : null;
}

/** A fine-tune's epoch log: `metrics.epochsFile` if recorded, else `<info.dir>/seed-<s>/epochs.jsonl`. */
function epochsFileOf(r: RunResult | undefined, seed: number, dir: string | undefined): string | null {
  const direct = r?.metrics['epochsFile'];
  if (typeof direct === 'string') return displayPath(direct, dir);
  const runDir = runDirOf(r);
  return runDir === null ? null : displayPath(join(runDir, `seed-${seed}`, EPOCHS_FILE), dir);
}

/** A pretraining's stage loss logs: `<info.dir>/stage-<i>-<objective>/loss.jsonl` (pretrain/sequence.ts). */
function lossFilesOf(r: RunResult | undefined, p: PlannedPretrain, dir: string | undefined) {
  const runDir = runDirOf(r);
  if (runDir === null) return null;
  return p.config.stages.map((s, i) => ({
    objective: s.objective,
    file: displayPath(join(stageDir(runDir, i, s.objective), LOSS_FILE), dir),
  }));
}

function runScores(plan: StudyPlan, byKey: ReadonlyMap<string, RunResult>, dir?: string): RunScore[] {
  return plan.finetunes.map((f) => {
    const r = byKey.get(f.key);
    const recorded = r?.metrics['metric'];
    return {
      key: f.key,
      dataset: f.dataset,
      seed: f.seed,
      axes: f.axes,
      pretrain: f.pretrain,
      done: r !== undefined,
      test: r ? scoreOf(r.metrics, 'test') : null,
      valid: r ? scoreOf(r.metrics, 'valid') : null,
      metric: typeof recorded === 'string' ? getMetric(recorded).name : plannedMetric(f),
      seconds: r?.seconds ?? null,
      version: r?.version ?? null,
      finishedAt: r?.finishedAt ?? null,
      epochsFile: epochsFileOf(r, f.seed, dir),
      config: f.config,
    };
  });
}

function pretrainEntries(
  plan: StudyPlan,
  byKey: ReadonlyMap<string, RunResult>,
  dir?: string,
): PretrainEntry[] {
  return plan.pretrains.map((p: PlannedPretrain) => {
    const r = byKey.get(p.key);
    return {
      key: p.key,
      objective: p.config.stages.map((s) => s.objective).join('+'),
      inputs: p.config.stages.map((s) => s.input),
      usedBy: p.usedBy,
      done: r !== undefined,
      seconds: r?.seconds ?? null,
      version: r?.version ?? null,
      metrics: r?.metrics ?? null,
      lossFiles: lossFilesOf(r, p, dir),
      config: p.config,
    };
  });
}

/** Canonical identity of a dataset × axis combination. */
const cellId = (dataset: string, axes: Readonly<Record<string, unknown>>) => JSON.stringify([dataset, axes]);

function buildCells(study: StudyPlan['study'], runs: readonly RunScore[]): CellStats[] {
  const groups = new Map<string, RunScore[]>();
  for (const r of runs) {
    const id = cellId(r.dataset, r.axes);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const cells: CellStats[] = [];
  for (const rs of groups.values()) {
    const first = rs[0]!;
    const scored = rs.filter((r) => r.test !== null);
    const { mean, std } = meanStd(scored.map((r) => r.test!));
    // One dataset is scored with one metric; the first scored run's word wins over the plan's.
    const metric = (scored[0] ?? first).metric;
    cells.push({
      dataset: first.dataset,
      axes: first.axes,
      metric,
      higherIsBetter: getMetric(metric).higherIsBetter,
      planned: rs.length,
      n: scored.length,
      mean,
      std,
      scores: scored.map((r) => ({ seed: r.seed, key: r.key, test: r.test! })),
      missing: rs.filter((r) => r.test === null).map((r) => ({ seed: r.seed, key: r.key })),
    });
  }
  // Study order: datasets as listed, axis combinations as planned.
  const dsOrder = (d: string) => study.datasets.indexOf(d);
  return cells.sort((a, b) => dsOrder(a.dataset) - dsOrder(b.dataset));
}

/** The axis the rows run over: the baseline's, else the first with several values, else none. */
function rowAxisOf(study: StudyPlan['study']): string | null {
  if (study.baseline) return study.baseline.axis;
  return Object.entries(study.axes).find(([, v]) => v.length > 1)?.[0] ?? null;
}

/** Every combination of the other axes' values, in the file's order. */
function groupsOf(axes: Readonly<Record<string, readonly unknown[]>>, rowAxis: string | null) {
  let out: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    if (name === rowAxis) continue;
    out = out.flatMap((g) => values.map((v) => ({ ...g, [name]: v })));
  }
  return out;
}

function titleOf(
  group: Readonly<Record<string, unknown>>,
  axes: Readonly<Record<string, readonly unknown[]>>,
) {
  const parts = Object.entries(group)
    .filter(([name]) => (axes[name]?.length ?? 0) > 1)
    .map(([name, v]) => `${name} = ${showValue(v)}`);
  return parts.length === 0 ? 'all runs' : parts.join(', ');
}

interface PendingComparison {
  readonly table: number;
  readonly group: Record<string, unknown>;
  readonly dataset: string;
  readonly arm: unknown;
  readonly base: CellStats;
  readonly cell: CellStats;
}

const bySeed = (c: CellStats) => Object.fromEntries(c.scores.map((s) => [String(s.seed), s.test]));

/** Builds the report model of a plan from the results recorded so far. */
export function buildReport(
  plan: StudyPlan,
  results: readonly RunResult[],
  options: ReportOptions = {},
): StudyReport {
  const { study } = plan;
  const byKey = new Map(results.map((r) => [r.key, r]));
  const runs = runScores(plan, byKey, options.dir);
  const pretrains = pretrainEntries(plan, byKey, options.dir);
  const cells = buildCells(study, runs);
  const cellIndex = new Map(cells.map((c, i) => [cellId(c.dataset, c.axes), i]));
  const rowAxis = rowAxisOf(study);
  const rowValues = rowAxis === null ? [undefined] : study.axes[rowAxis]!;
  const baseline = study.baseline;

  const pending: PendingComparison[] = [];
  const tableShapes = groupsOf(study.axes, rowAxis).map((group, t) => {
    const combo = (value: unknown) => (rowAxis === null ? group : { ...group, [rowAxis]: value });
    // Axis order as planned (combinations() follows the file's order), so ids match the cells'.
    const ordered = (value: unknown) =>
      Object.fromEntries(Object.keys(study.axes).map((a) => [a, combo(value)[a]]));
    const rows = rowValues.map((value) => {
      const isBaseline = baseline !== null && sameValue(value, baseline.value);
      const cellsOfRow = study.datasets.map((dataset) => {
        const cell = cellIndex.get(cellId(dataset, ordered(value)))!;
        let comparison: number | null = null;
        if (baseline !== null && !isBaseline) {
          const base = cellIndex.get(cellId(dataset, ordered(baseline.value)))!;
          comparison = pending.length;
          pending.push({ table: t, group, dataset, arm: value, base: cells[base]!, cell: cells[cell]! });
        }
        return { dataset, cell, comparison };
      });
      return { value, isBaseline, cells: cellsOfRow };
    });
    return { group, rows };
  });

  const stats = studyStats(
    pending.map(
      (p): Comparison => ({
        dataset: p.dataset,
        // Unique per comparison: names its bootstrap stream.
        arm: `${showValue(p.arm)} | ${JSON.stringify(p.group)}`,
        metric: p.base.metric,
        direction: p.base.higherIsBetter ? 'higher' : 'lower',
        baseline: bySeed(p.base),
        values: bySeed(p.cell),
      }),
    ),
    {
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      ...(options.test === undefined ? {} : { primary: options.test }),
      bootstrap: { ...options.bootstrap },
      // On the tables' scale: "mean gain +2.9" beside a Δ column of +2.9, not +0.0292.
      formatGain: (g, metric) => formatScore(g, metric, true),
    },
  );
  const comparisons = pending.map((p, id): ComparisonEntry => {
    const s = stats.comparisons[id]!;
    const baseScores = bySeed(p.base);
    const armScores = bySeed(p.cell);
    return {
      id,
      table: p.table,
      group: p.group,
      dataset: p.dataset,
      axis: rowAxis!,
      arm: p.arm,
      baseline: baseline!.value,
      metric: s.metric,
      direction: s.direction,
      pairs: s.keys
        .map((k, i) => ({ seed: Number(k), baseline: baseScores[k]!, arm: armScores[k]!, gain: s.gains[i]! }))
        .sort((a, b) => a.seed - b.seed),
      missingInArm: s.missingInArm.map(Number).sort((a, b) => a - b),
      missingInBaseline: s.missingInBaseline.map(Number).sort((a, b) => a - b),
      n: s.keys.length,
      meanGain: s.meanGain,
      ci: {
        low: s.bootstrap.low,
        high: s.bootstrap.high,
        confidence: s.bootstrap.confidence,
        resamples: s.bootstrap.resamples,
        ...(s.bootstrap.reason === undefined ? {} : { reason: s.bootstrap.reason }),
      },
      tP: s.ttest.p,
      wilcoxonP: s.wilcoxon.p,
      wilcoxonExactP: s.wilcoxon.exactP,
      p: s.p,
      pHolm: s.pHolm,
      testable: s.testable,
      significant: s.significant,
      verdict: s.verdict,
    };
  });

  const tables = tableShapes.map(({ group, rows }, id): ReportTable => {
    const firstRow = rows[0]!;
    return {
      id,
      group,
      title: titleOf(group, study.axes),
      datasets: firstRow.cells.map((c) => ({ dataset: c.dataset, metric: cells[c.cell]!.metric })),
      rows: rows.map((row) => {
        const cmp = row.cells.flatMap((c) => (c.comparison === null ? [] : [comparisons[c.comparison]!]));
        return {
          value: row.value,
          label: rowAxis === null ? 'all' : showValue(row.value),
          isBaseline: row.isBaseline,
          cells: row.cells.map((c) => {
            const k = c.comparison === null ? undefined : comparisons[c.comparison];
            const mark = k?.significant ? (k.meanGain > 0 ? 'gain' : 'loss') : null;
            return { ...c, mark };
          }),
          averageGains: averageGainsOf(row.value, cmp),
        };
      }),
    };
  });

  const done = runs.filter((r) => r.done);
  const finetunesDone = done.length;
  const pretrainsDone = pretrains.filter((p) => p.done).length;
  const planned = new Set([...plan.finetunes, ...plan.pretrains].map((r) => r.key));
  const counts = {
    finetunes: runs.length,
    finetunesDone,
    finetunesWithoutScore: done.filter((r) => r.test === null).length,
    pretrains: pretrains.length,
    pretrainsDone,
    foreignResults: results.filter((r) => !planned.has(r.key)).length,
  };
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_VERSION,
    generatedAt: (options.now ?? new Date()).toISOString(),
    molgrove: VERSION,
    study: {
      name: study.name,
      description: study.description ?? null,
      datasets: study.datasets,
      seeds: study.seeds,
      axes: study.axes,
      baseline,
      finetune: study.finetune,
      pretrain: study.pretrain,
    },
    counts,
    progress: progressLine(counts),
    rowAxis,
    fixed: Object.fromEntries(
      Object.entries(study.axes)
        .filter(([, v]) => v.length === 1)
        .map(([k, v]) => [k, v[0]]),
    ),
    alpha: stats.alpha,
    test: stats.primary,
    familySize: stats.familySize,
    versions: [...new Set(done.map((r) => r.version!))].sort(),
    warnings: [...(options.warnings ?? []), ...reportWarnings(counts)],
    tables,
    cells,
    comparisons,
    runs,
    pretrains,
  };
}

/** Per metric (gains in AUC and RMSE are not on one scale): the row's average gain over datasets. */
function averageGainsOf(value: unknown, cmp: readonly ComparisonEntry[]): AverageGain[] {
  const metrics = [...new Set(cmp.map((c) => c.metric))];
  return metrics.map((m) =>
    averageGain(
      showValue(value),
      m,
      cmp.filter((c) => c.metric === m).map((c) => ({ dataset: c.dataset, meanGain: c.meanGain })),
    ),
  );
}

function progressLine(c: StudyReport['counts']): string {
  const s = (n: number) => (n === 1 ? '' : 's');
  const parts = [`${c.finetunesDone} of ${c.finetunes} fine-tune${s(c.finetunes)} finished`];
  if (c.pretrains > 0)
    parts.push(`${c.pretrainsDone} of ${c.pretrains} pretraining${s(c.pretrains)} finished`);
  return parts.join('; ');
}

function reportWarnings(c: StudyReport['counts']): string[] {
  const out: string[] = [];
  if (c.finetunesWithoutScore > 0)
    out.push(
      `${c.finetunesWithoutScore} finished fine-tune${c.finetunesWithoutScore === 1 ? ' has' : 's have'} no numeric test score (left out)`,
    );
  if (c.foreignResults > 0)
    out.push(
      `${c.foreignResults} result${c.foreignResults === 1 ? ' is' : 's are'} in the store but not in this study's plan (another version of the study?): not reported`,
    );
  return out;
}

/** The study definition kept in a study folder (STUDY_FILES), or null. */
export function studyFileIn(dir: string): string | null {
  return STUDY_FILES.map((f) => join(dir, f)).find((p) => existsSync(p)) ?? null;
}

/** Writes report.json (the model) and report.md into the study folder, each atomically. */
export async function writeReport(dir: string, report: StudyReport, markdown: string): Promise<void> {
  await writeJsonAtomic(join(dir, REPORT_JSON_FILE), report);
  await writeFileAtomic(join(dir, REPORT_MARKDOWN_FILE), markdown);
}

/**
 * A study definition as the folder keeps it: a study file as written (a `preset:` key merged as
 * `study plan` merges it), or a resolved Study saved as JSON (seeds expanded, `baseline` as
 * { axis, value }, `baseDir`), which is turned back into a study file's shape first.
 */
export function loadStudyFile(path: string, set: readonly string[] = []): Study {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read study file ${path}: ${(e as Error).message}`);
  }
  const value = readStudyObject(path, text);
  if (!isResolvedStudy(value)) return loadStudy({ file: path, set });
  const { baseDir: _, baseline, ...rest } = value;
  const b = baseline as { axis: string; value: unknown } | null | undefined;
  const raw = b ? { ...rest, baseline: { [b.axis]: b.value } } : rest;
  return parseStudy(applyOverrides(raw, set), path, studyBaseDir(path));
}

function isResolvedStudy(v: Record<string, unknown>): boolean {
  if ('baseDir' in v) return true;
  const b = v['baseline'];
  if (b === null) return true;
  return (
    typeof b === 'object' &&
    b !== undefined &&
    !Array.isArray(b) &&
    Object.keys(b).sort().join() === 'axis,value' &&
    typeof (b as Record<string, unknown>)['axis'] === 'string'
  );
}
