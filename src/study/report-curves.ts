/**
 * Reads the curves the HTML report plots (report-plots.ts): each finished fine-tune's per-epoch log
 * (epochs.jsonl, train/fit.ts) and each finished pretraining's stage loss logs (loss.jsonl,
 * pretrain/loop.ts). Files of a study still running may be torn or missing: unreadable lines and
 * files are skipped, never errors.
 */

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StudyReport } from './report.js';

/** One epoch of a fine-tune: its validation score (null when not a number). */
export interface EpochPoint {
  readonly epoch: number;
  readonly valid: number | null;
}

/** One record of a pretraining stage's loss.jsonl. */
export interface LossPoint {
  readonly kind: 'train' | 'valid';
  readonly epoch: number;
  readonly step: number;
  /** The `total` loss (null when the record has none, e.g. validation without shards). */
  readonly loss: number | null;
}

/** The loss curve of one stage of one pretraining. */
export interface StageCurve {
  readonly pretrain: string;
  readonly stage: number;
  readonly objective: string;
  readonly points: readonly LossPoint[];
}

export interface ReportCurves {
  /** Per fine-tune key, its epochs in file order. */
  readonly epochs: ReadonlyMap<string, readonly EpochPoint[]>;
  readonly losses: readonly StageCurve[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The JSON objects of a JSON-lines file; blank, torn or non-object lines are skipped. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // A line being written while we read: the next report will have it.
    }
  }
  return out;
}

export function epochPoints(records: readonly Record<string, unknown>[]): EpochPoint[] {
  return records.flatMap((r) => {
    const epoch = finite(r['epoch']);
    return epoch === null ? [] : [{ epoch, valid: finite(r['valid']) }];
  });
}

export function lossPoints(records: readonly Record<string, unknown>[]): LossPoint[] {
  return records.flatMap((r) => {
    const kind = r['kind'];
    const epoch = finite(r['epoch']);
    const step = finite(r['step']);
    if ((kind !== 'train' && kind !== 'valid') || epoch === null || step === null) return [];
    return [{ kind, epoch, step, loss: finite(r['total']) }];
  });
}

/** Every curve file the report names, read relative to the study folder `dir`. */
export function loadCurves(dir: string, report: StudyReport): ReportCurves {
  const epochs = new Map<string, EpochPoint[]>();
  for (const run of report.runs) {
    if (!run.done || run.epochsFile === null) continue;
    const path = resolve(dir, run.epochsFile);
    if (existsSync(path)) epochs.set(run.key, epochPoints(readJsonLines(path)));
  }
  const losses: StageCurve[] = [];
  for (const p of report.pretrains) {
    p.lossFiles?.forEach((f, stage) => {
      const path = resolve(dir, f.file);
      if (!existsSync(path)) return;
      losses.push({
        pretrain: p.key,
        stage,
        objective: f.objective,
        points: lossPoints(readJsonLines(path)),
      });
    });
  }
  return { epochs, losses };
}
