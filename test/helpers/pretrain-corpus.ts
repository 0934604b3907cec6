/**
 * The setup the pretraining tests share: a temporary folder removed after the file's tests, the
 * fixture corpus sharded once in before(), small trainer settings, and small `pretrain` CLI runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { loadRDKit } from '../../src/chem/rdkit.js';
import type { PretrainEvent, PretrainResult } from '../../src/pretrain/loop.js';
import { prepareShards, type ShardIndex } from '../../src/pretrain/shards.js';
import {
  DEFAULT_TRAINER_CONFIG,
  type ObjectiveRun,
  pretrainObjective,
  type TrainerConfig,
} from '../../src/pretrain/trainer.js';
import { REPO_ROOT } from './shared-data.js';

/** The pretraining fixture corpus (one SMILES column). */
export const FIXTURE_MOLS = join(REPO_ROOT, 'test/fixtures/grover-pretrain/mols.csv');

/** A fresh temporary folder (`prefix` names it), removed after the file's tests. */
export function useTmpDir(prefix: string): string {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}

/** The trainer's defaults with a test's settings, logging every 2 batches and no checkpoints unless given. */
export function smallConfig(o: Partial<TrainerConfig>): TrainerConfig {
  return { ...DEFAULT_TRAINER_CONFIG, logEvery: 2, checkpointEvery: 0, ...o };
}

/** A pretrainObjective run on the fixture shards: what a test sets, with its trainer settings only. */
export type SmallRun = Omit<ObjectiveRun, 'shardDir' | 'index' | 'config'> & {
  readonly config: Partial<TrainerConfig>;
};

export interface FixtureCorpus {
  /** The file's temporary folder. */
  readonly tmp: string;
  readonly shardDir: string;
  /** The shards' index (after before() has run). */
  readonly index: ShardIndex;
  /** pretrainObjective on the shards with smallConfig(run.config). */
  run(run: SmallRun): Promise<PretrainResult>;
  /**
   * `pretrain --arch gin --objective <objective>` on the fixture, --hidden 16, shards of 15, batches of
   * 16, then `extra` (flags and values separated by spaces); it ends with --json, so `args.slice(0, -1)`
   * drops only that.
   */
  cliArgs(
    objective: string,
    out: string,
    o: { epochs: number; limit: number; layers: number },
    extra?: string,
  ): string[];
}

/**
 * The fixture corpus in shards of 20 in a temporary folder (`prefix` names it): RDKit loaded and the
 * shards prepared in before(), then `setup` (a file's own preparation, in the same hook: Node 20 runs
 * top-level before() hooks concurrently), the folder removed in after().
 */
export function useFixtureCorpus(prefix: string, setup?: () => Promise<void>): FixtureCorpus {
  const tmp = useTmpDir(prefix);
  const shardDir = join(tmp, 'shards');
  let index: ShardIndex | undefined;
  before(async () => {
    await loadRDKit();
    index = await prepareShards(FIXTURE_MOLS, shardDir, { shardSize: 20 });
    await setup?.();
  });
  const shards = (): ShardIndex => {
    if (!index) throw new Error('the fixture shards are prepared in before()');
    return index;
  };
  return {
    tmp,
    shardDir,
    get index() {
      return shards();
    },
    run: ({ config, ...run }) =>
      pretrainObjective({ ...run, shardDir, index: shards(), config: smallConfig(config) }),
    cliArgs: (objective, out, { epochs, limit, layers }, extra = '') => [
      ...['pretrain', '--arch', 'gin', '--objective', objective, '--input', FIXTURE_MOLS, '--out', out],
      ...['--epochs', `${epochs}`, '--batch-size', '16', '--limit', `${limit}`, '--shard-size', '15'],
      ...['--hidden', '16', '--layers', `${layers}`, ...extra.split(' ').filter((a) => a !== ''), '--json'],
    ],
  };
}

/** The records of a run's loss.jsonl. */
export function lossRecords(dir: string): Record<string, number | string>[] {
  return readFileSync(join(dir, 'loss.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);
}

/** Run options that stop a pretraining after its `n`-th batch (as Ctrl-C would). */
export function stopAfterBatches(n: number): { signal: AbortSignal; onEvent: (e: PretrainEvent) => void } {
  const controller = new AbortController();
  let seen = 0;
  return {
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'batch' && ++seen === n) controller.abort();
    },
  };
}

/** Asserts that two run folders hold the same loss.jsonl and pretrained.mgv, byte for byte. */
export function assertSameRun(a: string, b: string, what = ''): void {
  for (const f of ['loss.jsonl', 'pretrained.mgv'])
    assert.deepEqual(readFileSync(join(a, f)), readFileSync(join(b, f)), `${what} ${f}`.trim());
}
