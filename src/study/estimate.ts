/**
 * How long the runs of a plan still to do will take, from measured throughput:
 * 1. store: finished fine-tunes of the same profile (arch, width, depth, dataset, features and
 *    molecule features) give seconds per epoch (and, per molecule, the encoder's cost that
 *    pretraining estimates scale);
 * 2. calibration: otherwise each distinct profile fine-tunes a few molecules of its dataset for
 *    two epochs (train/finetune.ts, the real code path, in a temporary folder, no feature cache),
 *    giving seconds per molecule-epoch and per molecule featurized (a few seconds in all);
 * 3. table: without calibration (--no-calibrate), PER_MOLECULE_EPOCH below.
 * Pretraining without a store measurement: the fine-tuning cost per molecule-epoch of the same
 * encoder × OBJECTIVE_FACTOR × input rows × epochs. Every part says which source it used.
 */

import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { corpusFiles } from '../data/corpus.js';
import { resolveDatasetFile } from '../data/fetch.js';
import { getDatasetSpec, isRegisteredDataset } from '../data/registry.js';
import { type FinetuneConfig, resolveConfig } from '../train/config.js';
import { finetune } from '../train/finetune.js';
import type { PlannedFinetune, PlannedPretrain, PretrainRunConfig, StudyPlan } from './plan.js';
import type { ResultStore } from './store.js';

export type EstimateSource = 'store' | 'calibration' | 'table';

export interface EstimatePart {
  readonly what: string;
  readonly runs: number;
  readonly seconds: number;
  readonly source: EstimateSource;
}

export interface PlanEstimate {
  readonly seconds: number;
  readonly parts: readonly EstimatePart[];
  /** Seconds the calibration itself took (0 when none ran). */
  readonly calibrationSeconds: number;
}

/**
 * Seconds per molecule per epoch (train + evaluation) of a 300-wide, 5-layer GIN with Hu features,
 * one core; scaled by (width/300)² × layers/5. Rough: the fallback when nothing was measured.
 */
export const PER_MOLECULE_EPOCH = 0.0015;
/** Seconds per molecule to featurize: Hu codes, GROVER features, + rdkit2d descriptors. */
export const PER_MOLECULE_FEATURIZE: Readonly<Record<string, number>> = {
  hu: 0.0003,
  grover: 0.001,
  chemprop: 0.0008,
  rdkit2d: 0.004,
};
/**
 * Pretraining cost per molecule relative to a fine-tuning step of the same encoder (rough:
 * contextpred runs a second GNN on the context; graphcl encodes two views; motif/grover-context
 * add per-atom or per-graph heads).
 */
export const OBJECTIVE_FACTOR: Readonly<Record<string, number>> = {
  attrmask: 1.2,
  contextpred: 3,
  edgepred: 1.3,
  infomax: 2,
  graphcl: 2.5,
  motif: 1.1,
  supervised: 1,
  'grover-context': 1.5,
};

/** The profile that decides a fine-tune's speed. */
function profileOf(c: FinetuneConfig): string {
  return [c.arch, c.hidden ?? '-', c.layers ?? '-', c.dataset, c.features, c.molFeatures ?? '-'].join('|');
}

/** The encoder part of a profile (for pretraining: speed per molecule, dataset aside). */
function encoderProfile(
  c: { arch: string; hidden?: number | undefined; layers?: number | undefined },
  features: string,
) {
  return [c.arch, c.hidden ?? '-', c.layers ?? '-', features].join('|');
}

const tableCost = (c: FinetuneConfig) =>
  PER_MOLECULE_EPOCH * ((c.hidden ?? 300) / 300) ** 2 * ((c.layers ?? 5) / 5);

/** Rows of a pretraining input (registry count, else lines of its files), limit/fraction applied. */
async function inputRows(input: string, baseDir: string, p: PretrainRunConfig): Promise<number> {
  let rows: number;
  if (isRegisteredDataset(input)) rows = getDatasetSpec(input).rows;
  else {
    rows = 0;
    try {
      for (const f of corpusFiles(join(baseDir, input))) rows += await countLines(f.path);
    } catch {
      rows = 0;
    }
  }
  if (p.limit !== null) rows = Math.min(rows, p.limit);
  if (p.fraction !== null) rows = Math.round(rows * p.fraction);
  return rows;
}

function lineStream(path: string) {
  const raw = createReadStream(path);
  return createInterface({
    input: /\.gz$/i.test(path) ? raw.pipe(createGunzip()) : raw,
    crlfDelay: Infinity,
  });
}

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of lineStream(path)) n++;
  return Math.max(0, n - 1);
}

/** The first `n` data rows of a dataset file (header kept), as CSV text. */
async function headOf(path: string, n: number): Promise<string> {
  const lines: string[] = [];
  const rl = lineStream(path);
  for await (const line of rl) {
    if (line.trim() === '') continue;
    lines.push(line);
    if (lines.length > n) break;
  }
  rl.close();
  return `${lines.join('\n')}\n`;
}

interface Calibration {
  /** Seconds per molecule per epoch. */
  readonly epoch: number;
  /** Seconds per molecule of setup (featurization, model building). */
  readonly setup: number;
}

/** Fine-tunes `rows` molecules of the run's dataset for two epochs in a temporary folder. */
async function calibrate(run: PlannedFinetune, rows: number): Promise<Calibration> {
  const spec = getDatasetSpec(run.dataset);
  const dir = await mkdtemp(join(tmpdir(), 'molgrove-calibrate-'));
  try {
    const csv = join(dir, 'slice.csv');
    await writeFile(csv, await headOf(await resolveDatasetFile(spec), rows));
    const { dataset: _d, csv: _c, ...rest } = run.config;
    const config = resolveConfig(
      [
        rest,
        {
          csv,
          smilesColumn: spec.smilesColumn,
          targetColumns: [...spec.taskColumns],
          taskType: spec.taskType,
          split: 'random',
          splitSeeds: false,
          epochs: 2,
          patience: null,
          seeds: [0],
        },
      ],
      'calibration',
    );
    const t0 = performance.now();
    const summary = await finetune(config, join(dir, 'run'), { noCache: true, jobs: 1 });
    const total = (performance.now() - t0) / 1000;
    const perEpoch = summary.secondsPerEpoch;
    return { epoch: perEpoch / rows, setup: Math.max(0, total - 2 * perEpoch) / rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const featurizeCost = (c: FinetuneConfig) =>
  (PER_MOLECULE_FEATURIZE[c.features] ?? 0.001) +
  (c.molFeatures?.startsWith('rdkit2d') ? (PER_MOLECULE_FEATURIZE['rdkit2d'] ?? 0) : 0);

export interface EstimateOptions {
  /** Measure with a short real run when the store has nothing (default true). */
  readonly calibrate?: boolean;
  /** Molecules per calibration run (default 64). */
  readonly calibrationRows?: number;
}

/** Estimated seconds of the plan's runs not in `store` (all of them without a store). */
export async function estimatePlan(
  plan: StudyPlan,
  store: ResultStore | null,
  options: EstimateOptions = {},
): Promise<PlanEstimate> {
  const calibrateOn = options.calibrate ?? true;
  const rows = options.calibrationRows ?? 64;
  const done = (key: string) => store?.has(key) ?? false;
  // Measured seconds per epoch by profile, from the store.
  const measured = new Map<string, number[]>();
  for (const r of store?.results() ?? []) {
    if (r.kind === 'finetune') {
      const c = r.config as FinetuneConfig;
      if (typeof c?.epochs === 'number' && r.seconds > 0) {
        const list = measured.get(profileOf(c)) ?? [];
        list.push(r.seconds / c.epochs);
        measured.set(profileOf(c), list);
      }
    }
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  const parts: EstimatePart[] = [];
  const calibrations = new Map<string, Calibration>();
  let calibrationSeconds = 0;
  const costOf = async (run: PlannedFinetune): Promise<{ perMol: Calibration; source: EstimateSource }> => {
    const profile = profileOf(run.config);
    if (calibrateOn) {
      let cal = calibrations.get(profile);
      if (!cal) {
        const t0 = performance.now();
        cal = await calibrate(run, rows);
        calibrationSeconds += (performance.now() - t0) / 1000;
        calibrations.set(profile, cal);
      }
      return { perMol: cal, source: 'calibration' };
    }
    return { perMol: { epoch: tableCost(run.config), setup: featurizeCost(run.config) }, source: 'table' };
  };

  // Fine-tunes, grouped by profile.
  const groups = new Map<string, PlannedFinetune[]>();
  for (const f of plan.finetunes) {
    if (done(f.key)) continue;
    const g = groups.get(profileOf(f.config)) ?? [];
    g.push(f);
    groups.set(profileOf(f.config), g);
  }
  const encoderCost = new Map<string, { epoch: number; source: EstimateSource }>();
  for (const [profile, runs] of groups) {
    const first = runs[0]!;
    const n = getDatasetSpec(first.dataset).rows;
    const fromStore = measured.get(profile);
    let seconds: number;
    let source: EstimateSource;
    if (fromStore) {
      const perEpoch = mean(fromStore);
      seconds = runs.reduce((s, r) => s + perEpoch * r.config.epochs, 0);
      source = 'store';
      encoderCost.set(encoderProfile(first.config, first.config.features), {
        epoch: perEpoch / n,
        source,
      });
    } else {
      const { perMol, source: s } = await costOf(first);
      // Featurization once per dataset and features (the feature cache), training every run.
      seconds = perMol.setup * n + runs.reduce((t, r) => t + perMol.epoch * n * r.config.epochs, 0);
      source = s;
      encoderCost.set(encoderProfile(first.config, first.config.features), { epoch: perMol.epoch, source });
    }
    parts.push({ what: `finetune ${profile}`, runs: runs.length, seconds, source });
  }

  // Pretrainings.
  const users = new Map<string, PlannedFinetune>();
  for (const f of plan.finetunes) if (f.pretrain && !users.has(f.pretrain)) users.set(f.pretrain, f);
  for (const p of plan.pretrains) {
    if (done(p.key)) continue;
    const user = users.get(p.key)!;
    const ep = encoderProfile(user.config, user.config.features);
    let cost = encoderCost.get(ep);
    if (!cost) {
      const { perMol, source } = await costOf(user);
      cost = { epoch: perMol.epoch, source };
    }
    let seconds = 0;
    for (const s of p.config.stages) {
      const n = await inputRows(s.input, plan.study.baseDir, p.config);
      seconds += cost.epoch * (OBJECTIVE_FACTOR[s.objective] ?? 2) * n * s.epochs;
      seconds += featurizeCost(user.config) * n;
    }
    parts.push({ what: pretrainLabel(p), runs: 1, seconds, source: cost.source });
  }
  return { seconds: parts.reduce((s, p) => s + p.seconds, 0), parts, calibrationSeconds };
}

export function pretrainLabel(p: PlannedPretrain): string {
  const c = p.config;
  return `pretrain ${c.stages.map((s) => s.objective).join('+')} ${c.arch}-${c.encoder.dim}x${c.encoder.layers} ${c.featurizer}`;
}

/** 3725 → "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${(h / 24).toFixed(1)} days`;
}
