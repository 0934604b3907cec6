/**
 * `molgrove pretrain`: GROVER's self-supervised pretraining (contextual-property and motif tasks)
 * on a SMILES file of any size, streamed through shard files (<out>/shards). Rerunning the same
 * command resumes from <out>/checkpoint.mgck; Ctrl-C finishes the batch in progress, writes a
 * checkpoint and stops. Writes <out>/loss.jsonl, <out>/pretrained.mgv (the encoder) and
 * <out>/summary.json. Progress (molecules/s, loss) goes to stderr.
 */
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { GROVER_PRESETS, type GroverOptions } from '../models/grover/encoder.js';
import { checkMaskMode } from '../pretrain/grover/labels.js';
import { groverAdapter, groverPreset } from '../pretrain/grover/model.js';
import {
  DEFAULT_PRETRAIN_CONFIG,
  type PretrainConfig,
  type PretrainEvent,
  pretrainGrover,
} from '../pretrain/grover/pretrain.js';
import { loadVocabPair } from '../pretrain/grover/vocab.js';
import { DEFAULT_SHARD_SIZE, prepareShards } from '../pretrain/shards.js';
import { printJson, printTable } from './output.js';

interface PretrainCliOptions {
  model: string;
  preset: string;
  input: string;
  vocab: string;
  out: string;
  smilesColumn?: string;
  hidden?: string;
  depth?: string;
  heads?: string;
  blocks?: string;
  dropout?: string;
  attention?: string;
  hops?: string;
  epochs: string;
  batchSize: string;
  warmupEpochs: string;
  initLr: string;
  maxLr: string;
  finalLr: string;
  weightDecay: string;
  distCoeff: string;
  mode: string;
  limit?: string;
  shardSize: string;
  seed: string;
  logEvery: string;
  checkpointEvery: string;
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
  program
    .command('pretrain')
    .description("self-supervised pretraining (GROVER's contextual-property and motif tasks)")
    .requiredOption(
      '--input <path>',
      'CSV/TSV/.smi file of SMILES (.gz ok), or a directory of them; streamed: any size',
    )
    .requiredOption('--vocab <dir>', 'folder with atom_vocab.json and bond_vocab.json (molgrove build-vocab)')
    .requiredOption('--out <dir>', 'run folder (rerun the same command to resume)')
    .option('--model <name>', 'model to pretrain (grover)', 'grover')
    .option('--preset <name>', `encoder preset: ${Object.keys(GROVER_PRESETS).join(', ')}`, 'base')
    .option('--hidden <n>', 'hidden size (overrides the preset)')
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
    .option('--epochs <n>', 'epochs', String(d.epochs))
    .option('--batch-size <n>', 'molecules per batch', String(d.batchSize))
    .option('--warmup-epochs <x>', 'Noam warm-up epochs', String(d.warmupEpochs))
    .option('--init-lr <x>', 'Noam initial learning rate', String(d.initLr))
    .option('--max-lr <x>', 'Noam peak learning rate', String(d.maxLr))
    .option('--final-lr <x>', 'Noam final learning rate', String(d.finalLr))
    .option('--weight-decay <x>', 'Adam weight decay', String(d.weightDecay))
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
    .option('--limit <n>', 'use only the first n molecules of the file')
    .option(
      '--shard-size <n>',
      'molecules per shard (one shard is featurized at a time)',
      String(DEFAULT_SHARD_SIZE),
    )
    .option('--seed <n>', 'seed of weights, order and labels', String(d.seed))
    .option('--log-every <n>', 'batches per train record of loss.jsonl', String(d.logEvery))
    .option(
      '--checkpoint-every <n>',
      'batches between mid-epoch checkpoints (0: epoch ends only)',
      String(d.checkpointEvery),
    )
    .option('--json', 'print the summary as JSON')
    .action(async (opts: PretrainCliOptions) => {
      await runPretrain(opts);
    });
}

function encoderOptions(opts: PretrainCliOptions): GroverOptions {
  if (opts.model !== 'grover') throw new ConfigError(`--model must be grover, got '${opts.model}'`);
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

const ATTENTION_MODES = ['fixed', 'faithful'] as const;
const HOP_MODES = ['truncnorm', 'uniform', 'fixed'] as const;

function choice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw new ConfigError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

async function runPretrain(opts: PretrainCliOptions): Promise<void> {
  const options = encoderOptions(opts);
  const config: PretrainConfig = {
    epochs: integer('--epochs', opts.epochs, 1),
    batchSize: integer('--batch-size', opts.batchSize, 1),
    warmupEpochs: real('--warmup-epochs', opts.warmupEpochs, 0),
    initLr: real('--init-lr', opts.initLr, 0),
    maxLr: real('--max-lr', opts.maxLr, 0),
    finalLr: real('--final-lr', opts.finalLr, 0),
    weightDecay: real('--weight-decay', opts.weightDecay, 0),
    distCoeff: real('--dist-coeff', opts.distCoeff, 0),
    mode: checkMaskMode(opts.mode),
    seed: integer('--seed', opts.seed, 0),
    logEvery: integer('--log-every', opts.logEvery, 1),
    checkpointEvery: integer('--checkpoint-every', opts.checkpointEvery, 0),
  };
  const limit = opts.limit === undefined ? undefined : integer('--limit', opts.limit, 1);
  const shardSize = integer('--shard-size', opts.shardSize, 1);
  const vocab = await loadVocabPair(opts.vocab);
  const shardDir = join(opts.out, 'shards');
  const index = await prepareShards(opts.input, shardDir, {
    shardSize,
    ...(limit === undefined ? {} : { limit }),
    ...(opts.smilesColumn === undefined ? {} : { column: opts.smilesColumn }),
  });

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\npretrain: stopping after this batch (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progressOn = process.stderr.isTTY || process.env['MOLGROVE_PROGRESS'] === '1';
  let bar: SingleBar | undefined;
  let epochs: { epoch: number; trainLoss: number; validLoss: number; seconds: number }[] = [];
  let lastRate = 0;
  const onEvent = (e: PretrainEvent) => {
    switch (e.type) {
      case 'start': {
        const line =
          `pretrain: GROVER ${opts.preset} (hidden ${options.hidden}, depth ${options.depth}, heads ${options.heads}, ` +
          `blocks ${options.blocks}), ${e.parameters.toLocaleString('en-US')} parameters ` +
          `(encoder ${e.encoderParameters.toLocaleString('en-US')}); ${e.trainRows} train / ${e.validRows} valid molecules, ` +
          `${e.stepsPerEpoch} steps per epoch, mode ${config.mode}` +
          (e.resumed
            ? `; resuming at epoch ${e.resumed.epoch}, shard ${e.resumed.shard}, batch ${e.resumed.batch}`
            : '');
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
          bar.start(e.stepsPerEpoch * config.epochs, 0, {
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
        epochs.push({ epoch: e.epoch, trainLoss: e.trainLoss, validLoss: e.validLoss, seconds: e.seconds });
        if (!bar)
          process.stderr.write(
            `epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, valid loss ${e.validLoss.toFixed(4)}, ${e.seconds.toFixed(1)} s\n`,
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
  let result: Awaited<ReturnType<typeof pretrainGrover>>;
  try {
    result = await pretrainGrover({
      dir: opts.out,
      shardDir,
      index,
      vocab,
      config,
      makeAdapter: groverAdapter(options),
      onEvent,
      signal: controller.signal,
      info: { source: index.source.path, rows: index.rows, preset: opts.preset },
    });
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }
  if (!result.completed || !result.summary) return;
  const s = result.summary;
  const summary = {
    ...s,
    moleculesPerSecond: Number(lastRate.toFixed(2)),
    out: opts.out,
    epochsRun: epochs.length,
  };
  if (opts.json) {
    printJson(summary);
    return;
  }
  printTable(
    ['key', 'value'],
    Object.entries(summary).map(([k, v]) => [k, String(v)]),
  );
  epochs = [];
}
