// Learning-rate schedules as pure objects, plus an LRScheduler that writes them into an optimizer.
//
// Step convention: `lrAt(step)` is the lr used by optimizer step number `step`, counted from 0 — i.e.
// after `step` optimizer steps (and `step` scheduler steps) have been taken. This is torch's
// `get_last_lr()` after `step` calls of `scheduler.step()`, with the usual loop
// `optimizer.step(); scheduler.step()`.
//
// torch-style schedules (constant, step, cosine, warmup) act on each param group's own initial lr
// (`baseLr`), like torch's schedulers act on `base_lrs`; called without `baseLr` they use the
// `baseLr` option (default 1, so the value is then a multiplier). Noam is defined by absolute lrs
// (GROVER ignores the optimizer's lr) and uses the group index instead.

import { OptimError } from './types.js';

export interface LRSchedule {
  /**
   * The learning rate of optimizer step `step` (0-based) for param group `group` (default 0) whose
   * initial lr is `baseLr` (default: the schedule's `baseLr` option, 1 unless set).
   */
  lrAt(step: number, baseLr?: number, group?: number): number;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0)
    throw new OptimError(`schedule step must be an integer >= 0, got ${step}`);
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new OptimError(`${name} must be a positive integer, got ${v}`);
}

export interface BaseLrOption {
  /** The lr used when `lrAt` is called without one (default 1: the schedule then gives a multiplier). */
  baseLr?: number;
}

/** lr = baseLr at every step. */
export function constantSchedule(options: BaseLrOption = {}): LRSchedule {
  const dflt = options.baseLr ?? 1;
  return Object.freeze({
    lrAt(step: number, baseLr: number = dflt): number {
      checkStep(step);
      return baseLr;
    },
  });
}

export interface StepScheduleOptions extends BaseLrOption {
  stepSize: number;
  /** Default 0.1, as torch's StepLR. */
  gamma?: number;
}

/** torch StepLR: lr = baseLr · gamma^floor(step / stepSize). */
export function stepSchedule(options: StepScheduleOptions): LRSchedule {
  const { stepSize } = options;
  const gamma = options.gamma ?? 0.1;
  const dflt = options.baseLr ?? 1;
  positiveInt('stepSize', stepSize);
  return Object.freeze({
    lrAt(step: number, baseLr: number = dflt): number {
      checkStep(step);
      return baseLr * gamma ** Math.floor(step / stepSize);
    },
  });
}

export interface CosineScheduleOptions extends BaseLrOption {
  tMax: number;
  /** Default 0. */
  etaMin?: number;
}

/**
 * torch CosineAnnealingLR in its closed form: lr = etaMin + (baseLr − etaMin)·(1 + cos(π·step/tMax))/2.
 * Past tMax it keeps following the cosine (periodic with period 2·tMax), as torch does.
 */
export function cosineSchedule(options: CosineScheduleOptions): LRSchedule {
  const { tMax } = options;
  const etaMin = options.etaMin ?? 0;
  const dflt = options.baseLr ?? 1;
  positiveInt('tMax', tMax);
  return Object.freeze({
    lrAt(step: number, baseLr: number = dflt): number {
      checkStep(step);
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * step) / tMax))) / 2;
    },
  });
}

export interface WarmupOptions {
  /** Number of warmup steps W (0 disables warmup). */
  warmupSteps: number;
  /** Multiplier at step 0 (default 0, the usual linear warmup from zero). */
  startFactor?: number;
  /**
   * false (default): lr = inner(step) · factor(step), like torch's ChainedScheduler([LinearLR, inner]).
   * true: the inner schedule starts after warmup — lr = inner(0) · factor(step) during warmup and
   * inner(step − W) afterwards, like torch's SequentialLR([LinearLR, inner], milestones=[W]).
   */
  shift?: boolean;
}

/**
 * Adds linear warmup to any schedule: factor(step) = startFactor + (1 − startFactor)·step/W for
 * step < W and 1 afterwards (torch LinearLR with end_factor 1 and total_iters W).
 */
export function withWarmup(inner: LRSchedule, options: WarmupOptions): LRSchedule {
  const w = options.warmupSteps;
  const start = options.startFactor ?? 0;
  const shift = options.shift ?? false;
  if (!Number.isInteger(w) || w < 0) throw new OptimError(`warmupSteps must be an integer >= 0, got ${w}`);
  if (!(start >= 0 && start <= 1)) throw new OptimError(`startFactor must be in [0, 1], got ${start}`);
  return Object.freeze({
    lrAt(step: number, baseLr?: number, group?: number): number {
      checkStep(step);
      if (step >= w) return inner.lrAt(shift ? step - w : step, baseLr, group);
      const factor = start + ((1 - start) * step) / w;
      return inner.lrAt(shift ? 0 : step, baseLr, group) * factor;
    },
  });
}

type PerGroup = number | readonly number[];

export interface NoamScheduleOptions {
  warmupEpochs: PerGroup;
  totalEpochs: PerGroup;
  stepsPerEpoch: number;
  initLr: PerGroup;
  maxLr: PerGroup;
  finalLr: PerGroup;
  /**
   * Per-group lr multipliers (GROVER's fine_tune_coff applied to group `fine_tune_param_idx`); default 1.
   * GROVER stores them in an integer NumPy array, which truncates a non-integer coefficient (0.5 → 0);
   * we do not replicate that truncation.
   */
  groupScale?: PerGroup;
  /**
   * Which of GROVER's step counters step 0 maps to (default 1). torch's _LRScheduler constructor calls
   * `step()` once, so GROVER's NoamLR is at current_step = 1 before the first optimizer step: the first
   * update already uses init_lr + linear_increment. Pass 0 to start exactly at initLr.
   */
  stepOffset?: 0 | 1;
}

export interface NoamSchedule extends LRSchedule {
  readonly warmupSteps: readonly number[];
  readonly totalSteps: readonly number[];
  readonly gammas: readonly number[];
  /** Number of groups the options describe (1 when all are scalars: then every group gets them). */
  readonly groupCount: number;
}

/**
 * GROVER's NoamLR (grover/util/scheduler.py, adapted from chemprop): with
 * warmup = int(warmupEpochs · stepsPerEpoch) (truncated, as `.astype(int)`) and
 * total = totalEpochs · stepsPerEpoch, at GROVER's counter s = step + stepOffset:
 *   s ≤ warmup:  initLr + s · (maxLr − initLr) / warmup
 *   s ≤ total:   maxLr · gamma^(s − warmup), gamma = (finalLr / maxLr)^(1 / (total − warmup))
 *   otherwise:   finalLr
 * each times groupScale. Every option may be a scalar (all groups) or a per-group list.
 */
export function noamSchedule(options: NoamScheduleOptions): NoamSchedule {
  const { stepsPerEpoch } = options;
  const offset = options.stepOffset ?? 1;
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 0) {
    throw new OptimError(`stepsPerEpoch must be an integer >= 0, got ${stepsPerEpoch}`);
  }
  const lists: Record<string, PerGroup> = {
    warmupEpochs: options.warmupEpochs,
    totalEpochs: options.totalEpochs,
    initLr: options.initLr,
    maxLr: options.maxLr,
    finalLr: options.finalLr,
    groupScale: options.groupScale ?? 1,
  };
  let groupCount = 1;
  for (const [k, v] of Object.entries(lists)) {
    if (typeof v === 'number') continue;
    if (v.length === 0) throw new OptimError(`noam ${k}: empty list`);
    if (groupCount !== 1 && v.length !== 1 && v.length !== groupCount) {
      throw new OptimError(`noam ${k}: ${v.length} values but other options give ${groupCount} groups`);
    }
    if (v.length > 1) groupCount = v.length;
  }
  const at = (v: PerGroup, g: number): number => (typeof v === 'number' ? v : v.length === 1 ? v[0]! : v[g]!);
  const warmupSteps: number[] = [];
  const totalSteps: number[] = [];
  const gammas: number[] = [];
  const incs: number[] = [];
  const init: number[] = [];
  const max: number[] = [];
  const fin: number[] = [];
  const scale: number[] = [];
  for (let g = 0; g < groupCount; g++) {
    const w = Math.trunc(at(lists['warmupEpochs']!, g) * stepsPerEpoch);
    const t = at(lists['totalEpochs']!, g) * stepsPerEpoch;
    const i0 = at(lists['initLr']!, g);
    const m = at(lists['maxLr']!, g);
    const f = at(lists['finalLr']!, g);
    for (const [name, v] of [
      ['initLr', i0],
      ['maxLr', m],
      ['finalLr', f],
    ] as const) {
      if (!(v >= 0)) throw new OptimError(`noam ${name} must be >= 0, got ${v}`);
    }
    if (w < 0) throw new OptimError(`noam warmupEpochs must be >= 0`);
    warmupSteps.push(w);
    totalSteps.push(t);
    // Only reached for warmup < s ≤ total, so a zero-length phase never divides by zero in use.
    incs.push(w > 0 ? (m - i0) / w : 0);
    gammas.push(t > w ? (f / m) ** (1 / (t - w)) : 1);
    init.push(i0);
    max.push(m);
    fin.push(f);
    scale.push(at(lists['groupScale']!, g));
  }
  return Object.freeze({
    warmupSteps: Object.freeze(warmupSteps),
    totalSteps: Object.freeze(totalSteps),
    gammas: Object.freeze(gammas),
    groupCount,
    lrAt(step: number, _baseLr?: number, group = 0): number {
      checkStep(step);
      const g = groupCount === 1 ? 0 : group;
      if (!(g >= 0 && g < groupCount)) {
        throw new OptimError(`noam schedule describes ${groupCount} groups, asked for group ${group}`);
      }
      const s = step + offset;
      const w = warmupSteps[g]!;
      let lr: number;
      if (s <= w) lr = init[g]! + s * incs[g]!;
      else if (s <= totalSteps[g]!) lr = max[g]! * gammas[g]! ** (s - w);
      else lr = fin[g]!;
      return lr * scale[g]!;
    },
  });
}

/** What LRScheduler needs from an optimizer (SGD/Adam/AdamW satisfy it). */
export interface SchedulableOptimizer {
  readonly groups: readonly { lr: number; readonly initialLr: number }[];
}

export interface LRSchedulerState {
  step: number;
}

/**
 * Drives an optimizer's group lrs from a schedule. Construction applies step 0 (like torch's scheduler
 * constructor); call `step()` after each `optimizer.step()`. Each group gets
 * `schedule.lrAt(step, group.initialLr, groupIndex)`. Steps advance regardless of which params had
 * gradients.
 */
export class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  readonly schedule: LRSchedule;
  #step: number;

  constructor(optimizer: SchedulableOptimizer, schedule: LRSchedule, options: { startStep?: number } = {}) {
    this.optimizer = optimizer;
    this.schedule = schedule;
    const s = options.startStep ?? 0;
    checkStep(s);
    this.#step = s;
    this.apply();
  }

  /** Steps taken so far (= index of the next optimizer step). */
  get stepCount(): number {
    return this.#step;
  }

  /** Advances one step and writes the new lrs. */
  step(): void {
    this.#step++;
    this.apply();
  }

  /** Writes the lrs for the current step into the optimizer's groups. */
  apply(): void {
    const groups = this.optimizer.groups;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      group.lr = this.schedule.lrAt(this.#step, group.initialLr, g);
    }
  }

  /** The lrs the optimizer groups currently hold. */
  lastLrs(): number[] {
    return this.optimizer.groups.map((g) => g.lr);
  }

  stateDict(): LRSchedulerState {
    return { step: this.#step };
  }

  loadStateDict(state: LRSchedulerState): void {
    checkStep(state.step);
    this.#step = state.step;
    this.apply();
  }
}
