/**
 * `molgrove split`: train/valid/test indices for a dataset, made the way the papers' code made them
 * (see src/data/splits/dataset-split.ts for the rows each method excludes). Writes
 * `{"method","seed","sizes","train","valid","test","invalid"}` with 0-based indices into the
 * dataset's data rows in file order, and prints a one-line summary.
 */
import { type Command, Option } from 'commander';
import { isRegisteredDataset } from '../data/registry.js';
import {
  formatSplitJson,
  getSplitter,
  SCAFFOLD_INPUTS,
  type ScaffoldInput,
  SPLIT_METHOD_NAMES,
  type SplitResult,
  splitDataset,
} from '../data/splits/index.js';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { addDatasetOptions, type DatasetCliOptions, loadDatasetFromOptions } from './dataset-options.js';
import { printJson } from './output.js';
import { progressBar } from './progress.js';

interface SplitCliOptions extends DatasetCliOptions {
  method: string;
  seed: string;
  sizes: string;
  out: string;
  json?: boolean | undefined;
  scaffoldSmiles: ScaffoldInput;
}

export function registerSplit(program: Command): void {
  const cmd = program
    .command('split')
    .description(
      'Split a dataset into train/valid/test exactly as the papers did; writes row indices as JSON',
    );
  addDatasetOptions(cmd)
    .requiredOption('--method <name>', `split method: ${SPLIT_METHOD_NAMES.join(', ')}`)
    .option('--seed <n>', 'random seed (ignored by the deterministic scaffold split)', '0')
    .option('--sizes <train,valid,test>', 'fractions summing to 1', '0.8,0.1,0.1')
    .requiredOption('--out <path>', 'where to write the split JSON')
    .option('--json', 'print the summary as JSON instead of one line')
    .addOption(
      new Option(
        '--scaffold-smiles <route>',
        "SMILES the Hu et al. scaffolds (scaffold, random_scaffold) are computed from: 'raw' CSV text, " +
          "'canonical' RDKit SMILES, or 'auto' (canonical for bbbp, clintox, toxcast, as Hu's loaders did)",
      )
        .choices(SCAFFOLD_INPUTS)
        .default('auto'),
    )
    .addHelpText(
      'after',
      '\nMethods:\n' +
        SPLIT_METHOD_NAMES.map((name) => {
          const s = getSplitter(name);
          return s.name === name
            ? `  ${name.padEnd(18)} ${s.description}`
            : `  ${name.padEnd(18)} alias of ${s.name}`;
        }).join('\n') +
        '\n\nThe output holds 0-based data-row indices in file order (header excluded), in the order the\n' +
        'reference code lists them; rows it could not use are listed under "invalid".',
    )
    .action(async (opts: SplitCliOptions) => {
      await runSplit(opts);
    });
}

export function parseSizes(text: string): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map((s) => (s === '' ? Number.NaN : Number(s)));
  if (parts.length !== 3 || nums.some((x) => !Number.isFinite(x))) {
    throw new ConfigError(`--sizes needs three comma-separated fractions like 0.8,0.1,0.1, got '${text}'`);
  }
  return nums as [number, number, number];
}

export function parseSeed(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
    throw new ConfigError(`--seed needs a non-negative integer, got '${text}'`);
  }
  return Number(t);
}

async function runSplit(opts: SplitCliOptions): Promise<void> {
  const seed = parseSeed(opts.seed);
  const sizes = parseSizes(opts.sizes);
  const ds = await loadDatasetFromOptions(opts);
  const splitter = getSplitter(opts.method);
  const bar = progressBar(splitter.scaffolds === 'none' ? 'checking SMILES' : 'scaffolds', ds.smiles.length);
  let result: SplitResult;
  try {
    result = await splitDataset(ds, opts.method, {
      seed,
      sizes,
      scaffoldSmiles: opts.scaffoldSmiles,
      registered: opts.csv === undefined && isRegisteredDataset(ds.name),
      onProgress: (done) => bar.update(done),
    });
  } finally {
    bar.stop();
  }
  await writeFileAtomic(opts.out, formatSplitJson(result));
  const summary = {
    dataset: ds.name,
    method: result.method,
    seed: result.seed,
    sizes: result.sizes,
    train: result.train.length,
    valid: result.valid.length,
    test: result.test.length,
    invalid: result.invalid.length,
    out: opts.out,
  };
  if (opts.json) printJson(summary);
  else {
    process.stdout.write(
      `${ds.name}: ${result.method} split (seed ${result.seed}, sizes ${result.sizes.join(',')}): ` +
        `train ${summary.train}, valid ${summary.valid}, test ${summary.test}, invalid ${summary.invalid} -> ${opts.out}\n`,
    );
  }
}
