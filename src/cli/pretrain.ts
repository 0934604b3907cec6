/**
 * `molgrove pretrain`: self-supervised pretraining on a SMILES file of any size, streamed through
 * shard files (<out>/shards). Two trainers: `--model grover` (the default), GROVER's own
 * (contextual-property and motif tasks, needs --vocab); and `--arch <encoder> --objective <name>`,
 * any registry encoder with any objective (src/pretrain/trainer.ts), with a paper's settings as
 * `--protocol` (default hu2020) under the flags given. Rerunning the same
 * command resumes from <out>/checkpoint.mgck; Ctrl-C finishes the batch in progress, writes a
 * checkpoint and stops. Writes <out>/loss.jsonl, <out>/pretrained.mgv (the encoder) and
 * <out>/summary.json. Progress (molecules/s, loss) goes to stderr.
 */
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { EncoderOptions } from '../models/encoders/options.js';
import { encoderNames } from '../models/encoders/registry.js';
import { GROVER_PRESETS, type GroverOptions } from '../models/grover/encoder.js';
import { checkMaskMode } from '../pretrain/grover/labels.js';
import { groverAdapter, groverPreset } from '../pretrain/grover/model.js';
import { DEFAULT_PRETRAIN_CONFIG, type PretrainConfig, pretrainGrover } from '../pretrain/grover/pretrain.js';
import { loadVocabPair } from '../pretrain/grover/vocab.js';
import type { PretrainEvent, PretrainResult } from '../pretrain/loop.js';
import type { ObjectiveFlag, ObjectiveOptions } from '../pretrain/objective.js';
import { getObjective, OBJECTIVES, objectiveNames } from '../pretrain/objectives/index.js';
import { pretrainSequence, type SequenceStage } from '../pretrain/sequence.js';
import { DEFAULT_SHARD_SIZE, prepareShards, type ShardIndex } from '../pretrain/shards.js';
import {
  DEFAULT_PROTOCOL,
  DEFAULT_TRAINER_CONFIG,
  getProtocol,
  PRETRAIN_PROTOCOLS,
  pretrainObjective,
  type TrainerConfig,
} from '../pretrain/trainer.js';
import { runWithInterrupt } from './interrupt.js';
import { printJson, printTable } from './output.js';

interface PretrainCliOptions extends Record<string, unknown> {
  model?: string;
  arch?: string;
  objective?: string;
  protocol?: string;
  features?: string;
  layers?: string;
  lr?: string;
  preset: string;
  input: string;
  vocab?: string;
  out: string;
  smilesColumn?: string;
  hidden?: string;
  depth?: string;
  heads?: string;
  blocks?: string;
  dropout?: string;
  attention?: string;
  hops?: string;
  epochs?: string;
  batchSize?: string;
  warmupEpochs: string;
  initLr: string;
  maxLr: string;
  finalLr: string;
  weightDecay?: string;
  distCoeff: string;
  mode: string;
  limit?: string;
  shardSize: string;
  seed?: string;
  logEvery?: string;
  checkpointEvery?: string;
  /** true with --shard-cache, false with --no-shard-cache, else undefined (each trainer's default). */
  shardCache?: boolean;
  json?: boolean;
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !(Number.isInteger(n) && n >= min))
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

function real(name: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !(Number.isFinite(n) && n >= min))
    throw new ConfigError(`${name} must be a number ≥ ${min}, got '${value}'`);
  return n;
}

const d = DEFAULT_PRETRAIN_CONFIG;

export function registerPretrain(program: Command): void {
  const command = program.command('pretrain');
  command
    .description(
      "self-supervised pretraining: GROVER's own (--model grover), or any encoder with an objective (--arch, --objective)",
    )
    .requiredOption(
      '--input <path>',
      'CSV/TSV/.smi file of SMILES (.gz ok), or a directory of them; streamed: any size',
    )
    .requiredOption('--out <dir>', 'run folder (rerun the same command to resume)')
    .option('--model <name>', 'GROVER pretraining (grover; the default without --arch/--objective)')
    .option(
      '--arch <name>',
      `encoder to pretrain with --objective: ${encoderNames().join(', ')} (default gin)`,
    )
    .option(
      '--objective <names>',
      `pretraining objective: ${objectiveNames().join(', ')}; several, comma-separated, run one after the other (attrmask,supervised)`,
    )
    .option(
      '--supervised-input <path>',
      "labelled CSV of a 'supervised' stage (default --input): Hu et al.'s ChEMBL stage",
    )
    .option(
      '--protocol <name>',
      `settings of a paper under the flags given (--objective runs): ${Object.entries(PRETRAIN_PROTOCOLS)
        .map(([k, p]) => `${k} = ${p.description}`)
        .join('; ')}`,
    )
    .option('--features <name>', "featurizer (--objective runs; default: the objective's, else hu)")
    .option('--layers <n>', 'message-passing layers (--objective runs)')
    .option('--lr <x>', 'Adam learning rate (--objective runs)');
  for (const f of objectiveFlags()) command.option(f.flag, f.help);
  command
    .option('--vocab <dir>', 'GROVER: folder with atom_vocab.json and bond_vocab.json (molgrove build-vocab)')
    .option('--preset <name>', `GROVER encoder preset: ${Object.keys(GROVER_PRESETS).join(', ')}`, 'base')
    .option('--hidden <n>', 'hidden size (overrides the preset / protocol)')
    .option('--depth <n>', 'dyMPN depth')
    .option('--heads <n>', 'attention heads')
    .option('--blocks <n>', 'MTBlocks per view')
    .option('--dropout <p>', 'dropout')
    .option(
      '--attention <mode>',
      'fixed: across the atoms of each molecule; faithful: across heads, as released',
    )
    .option('--hops <mode>', 'dyMPN hop count in training: truncnorm (GROVER), uniform or fixed')
    .option('--smiles-column <name>', "column holding SMILES (default: 'smiles' if present, else the first)")
    .option('--epochs <n>', `epochs (GROVER ${d.epochs}; protocol's otherwise)`)
    .option('--batch-size <n>', `molecules per batch (GROVER ${d.batchSize}; protocol's otherwise)`)
    .option('--warmup-epochs <x>', 'Noam warm-up epochs', String(d.warmupEpochs))
    .option('--init-lr <x>', 'Noam initial learning rate', String(d.initLr))
    .option('--max-lr <x>', 'Noam peak learning rate', String(d.maxLr))
    .option('--final-lr <x>', 'Noam final learning rate', String(d.finalLr))
    .option('--weight-decay <x>', `Adam weight decay (GROVER ${d.weightDecay}; protocol's otherwise)`)
    .option(
      '--dist-coeff <x>',
      "weight of the av/bv views' disagreement (GROVER's dist_coff)",
      String(d.distCoeff),
    )
    .option(
      '--mode <mode>',
      'fixed: labelled atoms/bonds have their input features masked; faithful: as released, inputs not masked',
      d.mode,
    )
    .option(
      '--limit <n>',
      'use only the first n molecules of the input; a number below 1 keeps that share of it (seeded, nested subsets)',
    )
    .option(
      '--exclude <list>',
      'comma-separated SMILES files or registry datasets whose molecules are left out of the input (keep downstream test sets out of pretraining)',
    )
    .option(
      '--shard-size <n>',
      'molecules per shard (one shard is featurized at a time)',
      String(DEFAULT_SHARD_SIZE),
    )
    .option('--seed <n>', `seed of weights, order and labels (${d.seed})`)
    .option('--log-every <n>', `batches per train record of loss.jsonl (${d.logEvery})`)
    .option(
      '--checkpoint-every <n>',
      `batches between mid-epoch checkpoints (0: epoch ends only; ${d.checkpointEvery})`,
    )
    .option(
      '--shard-cache',
      'keep featurized shards on disk so only the first epoch featurizes (default for --objective runs; off for GROVER)',
    )
    .option('--no-shard-cache', 'featurize the shards again every epoch')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: PretrainCliOptions) => {
      if (opts.arch !== undefined || opts.objective !== undefined) await runObjectivePretrain(opts);
      else await runPretrain(opts);
    });
}

function encoderOptions(opts: PretrainCliOptions): GroverOptions {
  if ((opts.model ?? 'grover') !== 'grover')
    throw new ConfigError(
      `--model must be grover, got '${opts.model}' (other encoders: --arch with --objective)`,
    );
  const p = groverPreset(opts.preset);
  return {
    ...p,
    ...(opts.hidden === undefined ? {} : { hidden: integer('--hidden', opts.hidden, 1) }),
    ...(opts.depth === undefined ? {} : { depth: integer('--depth', opts.depth, 1) }),
    ...(opts.heads === undefined ? {} : { heads: integer('--heads', opts.heads, 1) }),
    ...(opts.blocks === undefined ? {} : { blocks: integer('--blocks', opts.blocks, 1) }),
    ...(opts.dropout === undefined ? {} : { dropout: real('--dropout', opts.dropout, 0) }),
    ...(opts.attention === undefined
      ? {}
      : { attention: choice('--attention', opts.attention, ATTENTION_MODES) }),
    ...(opts.hops === undefined ? {} : { hops: choice('--hops', opts.hops, HOP_MODES) }),
  };
}

/** Every objective's flags, once each (objectives may share an option). */
function objectiveFlags(): ObjectiveFlag[] {
  const seen = new Map<string, ObjectiveFlag>();
  for (const o of OBJECTIVES) for (const f of o.flags) if (!seen.has(f.flag)) seen.set(f.flag, f);
  return [...seen.values()];
}

const flagName = (f: ObjectiveFlag) => f.flag.split(' ')[0]!;

/**
 * An objective's options from its flags. A flag that no objective of the run reads is an error; in
 * a sequence each stage takes the flags of its own objective.
 */
function objectiveOptionsOf(
  opts: PretrainCliOptions,
  objectives: readonly string[],
  objective: string,
): ObjectiveOptions {
  const factory = getObjective(objective);
  const owns = (name: string, f: ObjectiveFlag) => getObjective(name).flags.some((g) => g.flag === f.flag);
  const out: Record<string, number | boolean | string> = {};
  for (const f of objectiveFlags()) {
    const value = opts[f.key];
    if (value === undefined) continue;
    if (!objectives.some((o) => owns(o, f))) {
      const owners = OBJECTIVES.filter((o) => owns(o.name, f)).map((o) => o.name);
      throw new ConfigError(
        `${flagName(f)} is an option of ${owners.join(', ')}, not of ${objectives.join(', ')}`,
      );
    }
    if (!owns(objective, f)) continue;
    const dflt = factory.defaults[f.key];
    if (typeof dflt === 'number') out[f.key] = real(flagName(f), String(value), -Infinity);
    else out[f.key] = typeof dflt === 'boolean' ? true : String(value);
  }
  // GROVER's own flags, shared with the objectives that run GROVER's tasks on other encoders.
  for (const key of ['vocab', 'mode'] as const) {
    const value = opts[key];
    if (key in factory.defaults && typeof value === 'string') out[key] = value;
  }
  return out;
}

const ATTENTION_MODES = ['fixed', 'faithful'] as const;
const HOP_MODES = ['truncnorm', 'uniform', 'fixed'] as const;

function choice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw new ConfigError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

const optional = <V>(value: string | undefined, parse: (v: string) => V): V | undefined =>
  value === undefined ? undefined : parse(value);

/** `--limit`: a count of first rows (≥ 1) or a share of the rows (below 1). */
function limitOf(
  value: string | undefined,
): { limit: number } | { fraction: number } | Record<string, never> {
  if (value === undefined) return {};
  const n = Number(value);
  if (value.trim() !== '' && n > 0 && n < 1) return { fraction: n };
  return { limit: integer('--limit', value, 1) };
}

/** Cuts an input into shards under <out>/<folder> (reused when unchanged); default: --input in shards/. */
async function shardsOf(opts: PretrainCliOptions, input = opts.input, folder = 'shards') {
  const shardDir = join(opts.out, folder);
  const excludeFlag = opts['exclude'];
  const exclude =
    typeof excludeFlag === 'string'
      ? excludeFlag
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : [];
  if (typeof excludeFlag === 'string' && exclude.length === 0)
    throw new ConfigError('--exclude needs comma-separated files or dataset names');
  const index = await prepareShards(input, shardDir, {
    shardSize: integer('--shard-size', opts.shardSize, 1),
    ...limitOf(opts.limit),
    ...(opts.smilesColumn === undefined ? {} : { column: opts.smilesColumn }),
    ...(exclude.length === 0 ? {} : { exclude }),
  });
  const ex = index.exclude;
  if (ex)
    process.stderr.write(
      `pretrain: excluded ${ex.removed} of ${index.rows + ex.removed} input molecules found in ` +
        `${ex.sources.map((s) => s.name).join(', ')} (${ex.molecules} distinct molecules)\n`,
    );
  return { shardDir, index };
}

async function runPretrain(opts: PretrainCliOptions): Promise<void> {
  const options = encoderOptions(opts);
  const config: PretrainConfig = {
    epochs: optional(opts.epochs, (v) => integer('--epochs', v, 1)) ?? d.epochs,
    batchSize: optional(opts.batchSize, (v) => integer('--batch-size', v, 1)) ?? d.batchSize,
    warmupEpochs: real('--warmup-epochs', opts.warmupEpochs, 0),
    initLr: real('--init-lr', opts.initLr, 0),
    maxLr: real('--max-lr', opts.maxLr, 0),
    finalLr: real('--final-lr', opts.finalLr, 0),
    weightDecay: optional(opts.weightDecay, (v) => real('--weight-decay', v, 0)) ?? d.weightDecay,
    distCoeff: real('--dist-coeff', opts.distCoeff, 0),
    mode: checkMaskMode(opts.mode),
    seed: optional(opts.seed, (v) => integer('--seed', v, 0)) ?? d.seed,
    logEvery: optional(opts.logEvery, (v) => integer('--log-every', v, 1)) ?? d.logEvery,
    checkpointEvery:
      optional(opts.checkpointEvery, (v) => integer('--checkpoint-every', v, 0)) ?? d.checkpointEvery,
  };
  if (opts.vocab === undefined)
    throw new ConfigError(
      'GROVER pretraining needs --vocab (molgrove build-vocab); or use --arch/--objective',
    );
  const vocab = await loadVocabPair(opts.vocab);
  const { shardDir, index } = await shardsOf(opts);
  await runWithProgress(
    opts,
    config.epochs,
    (e) =>
      `pretrain: GROVER ${opts.preset} (hidden ${options.hidden}, depth ${options.depth}, heads ${options.heads}, ` +
      `blocks ${options.blocks}), ${e.parameters.toLocaleString('en-US')} parameters ` +
      `(encoder ${e.encoderParameters.toLocaleString('en-US')}); ${e.trainRows} train / ${e.validRows} valid molecules, ` +
      `${e.stepsPerEpoch} steps per epoch, mode ${config.mode}`,
    (onEvent, signal) =>
      pretrainGrover({
        dir: opts.out,
        shardDir,
        index,
        vocab,
        config,
        makeAdapter: groverAdapter(options),
        cache: opts.shardCache === true,
        onEvent,
        signal,
        info: { source: index.source.path, rows: index.rows, preset: opts.preset },
      }),
  );
}

async function runObjectivePretrain(opts: PretrainCliOptions): Promise<void> {
  if (opts.model !== undefined)
    throw new ConfigError('--model grover is GROVER pretraining; with --arch/--objective leave it out');
  if (opts.objective === undefined)
    throw new ConfigError(`--arch needs --objective (${objectiveNames().join(', ')})`);
  // "attrmask,supervised" (or "attrmask+supervised"): one stage after the other.
  const objectives = opts.objective
    .split(/[,+]/)
    .map((o) => o.trim())
    .filter((o) => o !== '')
    .map((o) => getObjective(o).name);
  if (objectives.length === 0) throw new ConfigError('--objective needs at least one objective');
  const protocolName = opts.protocol ?? DEFAULT_PROTOCOL;
  const protocol = getProtocol(protocolName);
  const dflt = DEFAULT_TRAINER_CONFIG;
  const epochs = perStage('--epochs', opts.epochs, objectives.length);
  // The protocol's settings, its objective's own where its script differs, then the flags.
  const own = (stage: number) => protocol.objectives?.[objectives[stage]!];
  const configOf = (stage: number): TrainerConfig => ({
    ...protocol.config,
    ...own(stage)?.config,
    ...(epochs[stage] === undefined ? {} : { epochs: epochs[stage] }),
    ...(opts.batchSize === undefined ? {} : { batchSize: integer('--batch-size', opts.batchSize, 1) }),
    ...(opts.lr === undefined ? {} : { lr: real('--lr', opts.lr, 0) }),
    ...(opts.weightDecay === undefined ? {} : { weightDecay: real('--weight-decay', opts.weightDecay, 0) }),
    seed: optional(opts.seed, (v) => integer('--seed', v, 0)) ?? dflt.seed,
    logEvery: optional(opts.logEvery, (v) => integer('--log-every', v, 1)) ?? dflt.logEvery,
    checkpointEvery:
      optional(opts.checkpointEvery, (v) => integer('--checkpoint-every', v, 0)) ?? dflt.checkpointEvery,
  });
  const encoderOptions: Partial<EncoderOptions> = {
    ...protocol.encoder,
    ...(opts.hidden === undefined ? {} : { dim: integer('--hidden', opts.hidden, 1) }),
    ...(opts.layers === undefined ? {} : { layers: integer('--layers', opts.layers, 1) }),
    ...(opts.heads === undefined ? {} : { heads: integer('--heads', opts.heads, 1) }),
    ...(opts.dropout === undefined ? {} : { dropout: real('--dropout', opts.dropout, 0) }),
  };
  const stageEncoder = (stage: number): Partial<EncoderOptions> => {
    const dropout = own(stage)?.dropout;
    return dropout === undefined || opts.dropout !== undefined
      ? encoderOptions
      : { ...encoderOptions, dropout };
  };
  const arch = opts.arch ?? 'gin';
  const supervisedInput = opts['supervisedInput'];
  if (supervisedInput !== undefined && !objectives.includes('supervised'))
    throw new ConfigError(
      '--supervised-input is the labelled input of a supervised stage; no stage is supervised',
    );
  const startLine = (stage: number) => (e: Extract<PretrainEvent, { type: 'start' }>) =>
    `pretrain: ${arch} with ${objectives.length > 1 ? `stage ${stage + 1}/${objectives.length}, ` : ''}` +
    `${objectives[stage]} (protocol ${protocolName}), ${e.parameters.toLocaleString('en-US')} parameters ` +
    `(encoder ${e.encoderParameters.toLocaleString('en-US')}); ${e.trainRows} train / ${e.validRows} valid molecules, ` +
    `${e.stepsPerEpoch} steps per epoch`;
  const info = (index: ShardIndex) => ({
    source: index.source.path,
    rows: index.rows,
    protocol: protocolName,
  });
  const featurizer = opts.features === undefined ? {} : { featurizer: opts.features };

  if (objectives.length === 1) {
    const objective = objectives[0]!;
    const { shardDir, index } = await shardsOf(
      opts,
      objective === 'supervised' && typeof supervisedInput === 'string' ? supervisedInput : opts.input,
    );
    const config = configOf(0);
    await runWithProgress(opts, config.epochs, startLine(0), (onEvent, signal) =>
      pretrainObjective({
        dir: opts.out,
        shardDir,
        index,
        arch,
        encoderOptions: stageEncoder(0),
        objective,
        objectiveOptions: objectiveOptionsOf(opts, objectives, objective),
        ...featurizer,
        config,
        cache: opts.shardCache !== false,
        onEvent,
        signal,
        info: info(index),
      }),
    );
    return;
  }

  // A sequence: a supervised stage reads --supervised-input (its own shards), the others --input.
  const stages: SequenceStage[] = [];
  for (const [i, objective] of objectives.entries()) {
    const labelled = objective === 'supervised' && typeof supervisedInput === 'string';
    const { shardDir, index } = labelled
      ? await shardsOf(opts, supervisedInput, 'shards-supervised')
      : await shardsOf(opts);
    stages.push({
      objective,
      objectiveOptions: objectiveOptionsOf(opts, objectives, objective),
      shardDir,
      index,
      config: configOf(i),
      encoderOptions: stageEncoder(i),
    });
  }
  let stageNow = 0;
  await runWithProgress(
    opts,
    () => stages[stageNow]!.config.epochs,
    (e) => startLine(stageNow)(e),
    async (onEvent, signal) => {
      const res = await pretrainSequence({
        dir: opts.out,
        arch,
        encoderOptions,
        stages,
        ...featurizer,
        cache: opts.shardCache !== false,
        signal,
        onStage: (i) => {
          stageNow = i;
        },
        onEvent: (e) => onEvent(e),
        info: { ...info(stages[0]!.index), objectives: objectives.join(',') },
      });
      return { completed: res.completed, summary: res.stages.at(-1) ?? null };
    },
  );
}

/** A flag given once for every stage, or once per stage ("100,50"). */
function perStage(flag: string, value: string | undefined, stages: number): (number | undefined)[] {
  if (value === undefined) return Array(stages).fill(undefined);
  const parts = value.split(',').map((v) => integer(flag, v.trim(), 1));
  if (parts.length === 1) return Array(stages).fill(parts[0]);
  if (parts.length !== stages)
    throw new ConfigError(
      `${flag} has ${parts.length} values for ${stages} objectives; give one, or one per objective`,
    );
  return parts;
}

/** Runs a trainer with Ctrl-C handling and progress on stderr; prints the summary. */
async function runWithProgress(
  opts: PretrainCliOptions,
  /** Epochs of the run (of the stage running, for a sequence). */
  totalEpochs: number | (() => number),
  startLine: (e: Extract<PretrainEvent, { type: 'start' }>) => string,
  train: (onEvent: (e: PretrainEvent) => void, signal: AbortSignal) => Promise<PretrainResult>,
): Promise<void> {
  const progressOn = process.stderr.isTTY || process.env['MOLGROVE_PROGRESS'] === '1';
  let bar: SingleBar | undefined;
  let epochsRun = 0;
  let lastRate = 0;
  const onEvent = (e: PretrainEvent) => {
    switch (e.type) {
      case 'start': {
        const line =
          startLine(e) +
          (e.resumed
            ? `; resuming at epoch ${e.resumed.epoch}, shard ${e.resumed.shard}, batch ${e.resumed.batch}`
            : '');
        bar?.stop();
        process.stderr.write(`${line}\n`);
        if (progressOn) {
          bar = new SingleBar({
            stream: process.stderr,
            format:
              'pretrain [{bar}] {percentage}% | epoch {epoch} | {value}/{total} batches | {rate} mol/s | loss {loss}',
            hideCursor: true,
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 2000,
          });
          bar.start(e.stepsPerEpoch * (typeof totalEpochs === 'number' ? totalEpochs : totalEpochs()), 0, {
            epoch: e.resumed?.epoch ?? 0,
            rate: '0',
            loss: '-',
          });
        }
        break;
      }
      case 'batch':
        lastRate = e.moleculesPerSecond;
        bar?.update(e.step + 1, {
          epoch: e.epoch,
          rate: e.moleculesPerSecond.toFixed(1),
          loss: e.loss.toFixed(4),
        });
        break;
      case 'epoch':
        epochsRun++;
        if (!bar)
          process.stderr.write(
            `epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, valid loss ${e.validLoss.toFixed(4)}, ` +
              `${e.seconds.toFixed(1)} s, ${lastRate.toFixed(1)} mol/s\n`,
          );
        break;
      case 'interrupted':
        bar?.stop();
        bar = undefined;
        process.stderr.write(`pretrain: interrupted; checkpoint written, rerun the same command to resume\n`);
        break;
      default:
        break;
    }
  };
  let result: PretrainResult;
  try {
    result = await runWithInterrupt('pretrain: stopping after this batch', (signal) =>
      train(onEvent, signal),
    );
  } finally {
    bar?.stop();
  }
  if (!result.completed || !result.summary) return;
  const summary = {
    ...result.summary,
    moleculesPerSecond: Number(lastRate.toFixed(2)),
    out: opts.out,
    epochsRun,
  };
  if (opts.json) {
    printJson(summary);
    return;
  }
  printTable(
    ['key', 'value'],
    Object.entries(summary).map(([k, v]) => [k, String(v)]),
  );
}
