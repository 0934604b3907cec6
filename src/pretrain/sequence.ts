/**
 * Objectives one after the other (Hu et al. 2020's "attribute masking + supervised": self-supervised
 * node-level pretraining, then supervised graph-level pretraining of the same encoder). Stage i runs
 * the generic trainer (trainer.ts) in `<dir>/stage-<i>-<objective>/`, starting from stage i − 1's
 * encoder file, each stage on its own input and settings; the last stage's encoder is copied to
 * `<dir>/pretrained.mgv` and `<dir>/summary.json` lists the stages. Every stage resumes on its own
 * (a finished stage is reused, not rerun), so a rerun of the same sequence continues where it
 * stopped. A stage's fingerprint holds the hash of the encoder it started from, so redoing an
 * earlier stage differently invalidates the later ones instead of silently mixing runs.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import {
  PRETRAINED_FILE,
  type PretrainEvent,
  type PretrainResult,
  type PretrainSummary,
  SUMMARY_FILE,
} from './loop.js';
import { getObjective } from './objectives/index.js';
import type { ShardIndex } from './shards.js';
import { type ObjectiveRun, pretrainObjective, resolveFeaturizer } from './trainer.js';

export interface SequenceStage {
  readonly objective: string;
  readonly objectiveOptions?: ObjectiveRun['objectiveOptions'];
  readonly shardDir: string;
  readonly index: ShardIndex;
  readonly config: ObjectiveRun['config'];
  /** Over the run's encoder options: training settings such as dropout (the architecture stays). */
  readonly encoderOptions?: ObjectiveRun['encoderOptions'];
}

export interface SequenceRun
  extends Omit<
    ObjectiveRun,
    'dir' | 'objective' | 'objectiveOptions' | 'shardDir' | 'index' | 'config' | 'onEvent'
  > {
  readonly dir: string;
  readonly stages: readonly SequenceStage[];
  /** Called before each stage starts (0-based). */
  readonly onStage?: (stage: number, s: SequenceStage, dir: string) => void;
  readonly onEvent?: (e: PretrainEvent, stage: number) => void;
}

export interface SequenceResult {
  readonly completed: boolean;
  /** One per stage finished. */
  readonly stages: readonly PretrainSummary[];
}

/** The folder of stage i (0-based). */
export function stageDir(dir: string, i: number, objective: string): string {
  return join(dir, `stage-${i + 1}-${getObjective(objective).name}`);
}

/** The one featurizer every stage can use (stages share the encoder, hence its input). */
export function sequenceFeaturizer(arch: string, objectives: readonly string[], given?: string): string {
  const needed = [...new Set(objectives.map((o) => getObjective(o).featurizer).filter((f) => f !== null))];
  if (needed.length > 1)
    throw new ConfigError(
      `the objectives ${objectives.join(', ')} need different featurizers (${needed.join(', ')}); they cannot share an encoder`,
    );
  const first = objectives.find((o) => getObjective(o).featurizer !== null) ?? objectives[0];
  if (first === undefined) throw new ConfigError('a sequence needs at least one objective');
  return resolveFeaturizer(arch, first, given);
}

/** Runs (or resumes) the stages in order; `completed: false` when stopped by the signal. */
export async function pretrainSequence(run: SequenceRun): Promise<SequenceResult> {
  if (run.stages.length === 0) throw new ConfigError('a sequence needs at least one objective');
  const featurizer = sequenceFeaturizer(
    run.arch,
    run.stages.map((s) => s.objective),
    run.featurizer,
  );
  const { stages, onStage, onEvent, dir, ...shared } = run;
  const summaries: PretrainSummary[] = [];
  let previous = run.initEncoder;
  for (const [i, stage] of stages.entries()) {
    const sdir = stageDir(dir, i, stage.objective);
    onStage?.(i, stage, sdir);
    const result: PretrainResult = await pretrainObjective({
      ...shared,
      dir: sdir,
      objective: stage.objective,
      ...(stage.objectiveOptions ? { objectiveOptions: stage.objectiveOptions } : {}),
      shardDir: stage.shardDir,
      index: stage.index,
      config: stage.config,
      encoderOptions: { ...shared.encoderOptions, ...stage.encoderOptions },
      featurizer,
      ...(previous === undefined ? {} : { initEncoder: previous }),
      ...(onEvent ? { onEvent: (e: PretrainEvent) => onEvent(e, i) } : {}),
      info: {
        ...run.info,
        stage: i + 1,
        stages: stages.map((s) => getObjective(s.objective).name).join(','),
      },
    });
    if (!result.completed || !result.summary) return { completed: false, stages: summaries };
    summaries.push(result.summary);
    previous = join(sdir, PRETRAINED_FILE);
  }
  // The stages' own files stay; the sequence's encoder is the last one's.
  await writeFileAtomic(join(dir, PRETRAINED_FILE), await readFile(previous!));
  await writeJsonAtomic(join(dir, SUMMARY_FILE), {
    stages: stages.map((s, i) => ({
      objective: getObjective(s.objective).name,
      dir: stageDir(dir, i, s.objective),
      summary: summaries[i],
    })),
  });
  return { completed: true, stages: summaries };
}
