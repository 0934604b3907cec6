/**
 * `molgrove finetune`: train a property predictor on a dataset over one or more seeds and print
 * the result table. Every hyperparameter has a flag; `--config file.{json,yaml}` supplies any of
 * them (flags win), `--protocol hu2020|grover` starts from a published protocol. The resolved
 * config, splits, per-epoch records, checkpoints, the best model per seed and the results go to
 * `--out`; rerunning the same command resumes where it stopped.
 */
import type { Command } from 'commander';
import { parseColumnList } from '../data/csv.js';
import { MOL_FEATURE_NAMES } from '../data/mol-features.js';
import { ConfigError } from '../errors.js';
import { encoderNames } from '../models/encoders/registry.js';
import { readoutNames } from '../models/readout.js';
import { type FinetuneConfig, PROTOCOLS, readConfigFile, resolveConfig } from '../train/config.js';
import type { TrainEvent } from '../train/events.js';
import { FINGERPRINT_ARCH, type FinetuneSummary, finetune } from '../train/finetune.js';
import { runWithInterrupt } from './interrupt.js';
import { printJson, printTable } from './output.js';
import { parseSizes } from './split.js';

type Parse = (v: string, flag: string) => unknown;

const int: Parse = (v, flag) => {
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${flag} needs a non-negative integer, got '${v}'`);
  return Number(v);
};
const num: Parse = (v, flag) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new ConfigError(`${flag} needs a number, got '${v}'`);
  return x;
};
const str: Parse = (v) => v;
/** `--seeds 3` = seeds 0, 1, 2; `--seeds 0,4,7` = those seeds. */
const seeds: Parse = (v, flag) => {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new ConfigError(`${flag} needs a count or a list like 0,1,2, got '${v}'`);
  const nums = parts.map(Number);
  return parts.length === 1 ? Array.from({ length: nums[0]! }, (_, i) => i) : nums;
};

/** Flag, config key, parser, help. The config key is also the name used in --config files. */
const FLAGS: readonly [string, keyof FinetuneConfig, Parse, string][] = [
  ['--dataset <name>', 'dataset', str, "registry dataset (see 'molgrove datasets')"],
  ['--csv <path>', 'csv', str, 'your own CSV instead of --dataset'],
  ['--smiles-column <name>', 'smilesColumn', str, 'SMILES column of --csv'],
  ['--target-columns <a,b,...>', 'targetColumns', parseColumnList, 'target columns'],
  ['--task-type <type>', 'taskType', str, 'classification, regression or auto'],
  ['--features <preset>', 'features', str, 'featurizer: hu (basic), grover (rich), chemprop'],
  ['--arch <name>', 'arch', str, `encoder: ${[...encoderNames(), FINGERPRINT_ARCH].join(', ')}`],
  ['--hidden <n>', 'hidden', int, 'hidden width'],
  ['--layers <n>', 'layers', int, 'message-passing layers'],
  ['--dropout <p>', 'dropout', num, 'encoder dropout'],
  ['--jk <mode>', 'jk', str, 'jumping knowledge: last, concat, sum'],
  ['--norm <kind>', 'norm', str, 'batch, layer or none'],
  ['--act <fn>', 'act', str, 'relu, tanh, sigmoid, gelu'],
  ['--heads <n>', 'heads', int, 'attention heads (gat)'],
  ['--readout <kind>', 'readout', str, `readout: ${readoutNames().join(', ')}`],
  ['--attn-hidden <n>', 'attnHidden', int, 'self-attentive readout hidden size'],
  ['--attn-out <n>', 'attnOut', int, 'self-attentive readout heads'],
  [
    '--mol-features <name>',
    'molFeatures',
    str,
    `molecule features appended after the readout: ${MOL_FEATURE_NAMES.join(', ')}`,
  ],
  [
    '--mol-features-file <csv>',
    'molFeaturesFile',
    str,
    'per-molecule features, rows aligned with the dataset',
  ],
  ['--ffn-layers <n>', 'ffnLayers', int, 'head layers'],
  ['--ffn-hidden <n>', 'ffnHidden', int, 'head hidden width'],
  ['--ffn-dropout <p>', 'ffnDropout', num, 'head dropout'],
  ['--split <method>', 'split', str, 'scaffold, balanced_scaffold, random_scaffold, random, stratified'],
  ['--sizes <a,b,c>', 'sizes', (v) => parseSizes(v), 'train,valid,test fractions'],
  ['--split-seed <n>', 'splitSeed', int, 'split seed (when --split-seeds is off)'],
  ['--seeds <n|list>', 'seeds', seeds, 'number of seeds (0..n-1) or a list'],
  ['--epochs <n>', 'epochs', int, 'epochs'],
  ['--batch-size <n>', 'batchSize', int, 'batch size'],
  ['--eval-batch-size <n>', 'evalBatchSize', int, 'batch size for evaluation'],
  ['--lr <x>', 'lr', num, 'learning rate (Adam)'],
  ['--weight-decay <x>', 'weightDecay', num, 'L2 weight decay'],
  ['--schedule <kind>', 'schedule', str, 'constant or noam'],
  ['--warmup-epochs <x>', 'warmupEpochs', num, 'noam warm-up epochs'],
  ['--init-lr <x>', 'initLr', num, 'noam initial lr'],
  ['--max-lr <x>', 'maxLr', num, 'noam peak lr'],
  ['--final-lr <x>', 'finalLr', num, 'noam final lr'],
  ['--clip-norm <x>', 'clipNorm', num, 'clip the gradient norm'],
  ['--patience <n>', 'patience', int, 'early stopping: epochs without improvement'],
  ['--metric <name>', 'metric', str, "metric (default: the dataset's)"],
  ['--select-by <what>', 'selectBy', str, 'best epoch by validation metric or loss'],
  [
    '--from <file>',
    'from',
    str,
    'start from a pretrained encoder (or a model file): its architecture and featurizer',
  ],
  ['--dist-coeff <x>', 'distCoeff', num, "GROVER's dist_coff: weight of the two views' disagreement"],
  ['--encoder-lr-scale <x>', 'encoderLrScale', num, "encoder learning rate as a multiple of the head's"],
  ['--protocol <name>', 'protocol', str, `published protocol preset: ${Object.keys(PROTOCOLS).join(', ')}`],
];

interface FinetuneCliOptions extends Record<string, unknown> {
  out: string;
  config?: string;
  json?: boolean;
  splitSeeds?: boolean;
  strictSmiles?: boolean;
  freezeEncoder?: boolean;
  model?: string;
  jobs?: string;
}

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description('Fine-tune (or train from scratch) a property predictor over seeds; prints mean ± std');
  for (const [flag, , , help] of FLAGS) cmd.option(flag, help);
  cmd
    .option('--split-seeds', 'each run seed also seeds its split (GROVER folds)')
    .option('--strict-smiles', 'stop at the first unparsable SMILES instead of skipping it')
    .option('--model <name>', 'same as --arch (e.g. --model grover)')
    .option(
      '--freeze-encoder',
      'keep the (pretrained) encoder fixed, weights and batch-norm statistics (eval mode); train the head only',
    )
    .option('--config <file>', 'JSON or YAML file of options (keys as in config.json); flags override it')
    .requiredOption('--out <dir>', 'run directory (rerun with the same directory to resume)')
    .option('--json', 'print the summary as JSON')
    .option(
      '--jobs <n>',
      'seeds trained at once in worker threads (default: one per core; 1: the engine threads)',
    )
    .action(async (opts: FinetuneCliOptions) => {
      const config = configFromCli(opts);
      const jobs = opts.jobs === undefined ? undefined : Math.max(1, int(opts.jobs, '--jobs') as number);
      const summary = await runWithInterrupt(
        'molgrove: stopping after this epoch; rerun to resume',
        (signal) => finetune(config, opts.out, { onEvent: renderEvent, signal, ...(jobs ? { jobs } : {}) }),
      );
      if (opts.json) printJson(summary);
      else printSummary(summary);
    });
}

/** Defaults < protocol < --config file < flags. */
export function configFromCli(opts: FinetuneCliOptions): FinetuneConfig {
  const flags: Record<string, unknown> = {};
  for (const [flag, key, parse] of FLAGS) {
    const name = flag
      .split(' ')[0]!
      .slice(2)
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = opts[name];
    if (typeof v === 'string') flags[key] = parse(v, flag.split(' ')[0]!);
  }
  if (opts.splitSeeds) flags['splitSeeds'] = true;
  if (opts.strictSmiles) flags['skipInvalid'] = false;
  if (opts.freezeEncoder) flags['freezeEncoder'] = true;
  if (opts.model !== undefined) {
    if (opts['arch'] !== undefined && opts['arch'] !== opts.model)
      throw new ConfigError(`--model ${opts.model} and --arch ${String(opts['arch'])} disagree; give one`);
    flags['arch'] = opts.model;
  }
  const file = opts.config ? readConfigFile(opts.config) : {};
  return resolveConfig([file, flags], opts.config ? `config (${opts.config} + flags)` : 'options');
}

function fmt(x: number): string {
  return Number.isNaN(x) ? 'nan' : x.toFixed(4);
}

/** Progress on stderr: one line per epoch and per finished seed. */
export function renderEvent(e: TrainEvent): void {
  const out = (s: string): boolean => process.stderr.write(`${s}\n`);
  switch (e.type) {
    case 'seed-start':
      out(
        `seed ${e.seed} (split seed ${e.splitSeed}): ${e.parameters.toLocaleString('en-US')} parameters -> ${e.dir}`,
      );
      break;
    case 'resume':
      out(`seed ${e.seed}: resuming at epoch ${e.epoch}`);
      break;
    case 'epoch':
      out(
        `  seed ${e.seed} epoch ${String(e.epoch).padStart(3)}  loss ${fmt(e.trainLoss)}  valid ${fmt(e.valid)}  test ${fmt(e.test)}` +
          `  ${e.seconds.toFixed(1)}s${e.best ? '  *' : ''}`,
      );
      break;
    case 'seed-done':
      out(
        `seed ${e.result.seed}${e.reused ? ' (already done)' : ''}: best epoch ${e.result.bestEpoch}, ` +
          `valid ${fmt(e.result.valid)}, test ${fmt(e.result.test)}`,
      );
      break;
  }
}

export function printSummary(s: FinetuneSummary): void {
  process.stdout.write(
    `${s.dataset} | ${s.arch} | features ${s.features} | ${s.split} split | ${s.metric}\n`,
  );
  printTable(
    ['seed', 'split_seed', 'best_epoch', `valid_${s.metric}`, `test_${s.metric}`, 's/epoch'],
    s.seeds.map((r) => [
      r.seed,
      r.splitSeed,
      r.bestEpoch,
      fmt(r.valid),
      fmt(r.test),
      r.secondsPerEpoch.toFixed(2),
    ]),
  );
  process.stdout.write(
    `test ${s.metric}: ${fmt(s.test.mean)} ± ${fmt(s.test.std)} over ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'}` +
      ` (valid ${fmt(s.valid.mean)} ± ${fmt(s.valid.std)})\n`,
  );
}
