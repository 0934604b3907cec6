/**
 * `molgrove split`: train/valid/test indices for a dataset, made the way the papers' code made them
 * (see src/data/splits/). Writes `{"method","seed","sizes","train","valid","test","invalid"}` with
 * 0-based indices into the dataset's data rows in file order, and prints a one-line summary.
 *
 * Which rows are excluded ("invalid") follows the reference pipelines:
 * - scaffold, random_scaffold (Hu et al.): SMILES RDKit cannot parse (their loaders drop them);
 * - balanced_scaffold, random, stratified (chemprop/GROVER `filter_invalid_smiles`): SMILES RDKit
 *   cannot parse and molecules without heavy atoms.
 */
import { type Command, Option } from 'commander';
import { loadRDKit, withMol } from '../chem/rdkit.js';
import { murckoScaffold } from '../chem/scaffold.js';
import type { MoleculeDataset } from '../data/dataset.js';
import { getDatasetSpec, isRegisteredDataset } from '../data/registry.js';
import { getSplitter, SPLIT_METHOD_NAMES, type SplitResult, type Splitter } from '../data/splits/index.js';
import { ConfigError, InvalidSmilesError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { addDatasetOptions, type DatasetCliOptions, loadDatasetFromOptions } from './dataset-options.js';
import { printJson } from './output.js';
import { progressBar } from './progress.js';

const SCAFFOLD_INPUTS = ['auto', 'raw', 'canonical'] as const;
type ScaffoldInput = (typeof SCAFFOLD_INPUTS)[number];

/**
 * Hu et al.'s loaders for these datasets store MolToSmiles(mol) in processed/smiles.csv, and
 * finetune.py computes the scaffolds from that file; for the others it holds the CSV's SMILES.
 * The route changes some double-bond stereo in scaffolds (4 BBBP molecules change side).
 */
const HU_CANONICALIZED = new Set(['bbbp', 'clintox', 'toxcast']);

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
  const splitter = getSplitter(opts.method);
  const seed = parseSeed(opts.seed);
  const sizes = parseSizes(opts.sizes);
  const ds = await loadDatasetFromOptions(opts);
  const labels = splitter.needsLabels ? singleTaskLabels(ds, splitter) : undefined;
  await loadRDKit();
  const n = ds.smiles.length;
  const rejected = new Set(
    opts.csv === undefined && isRegisteredDataset(ds.name)
      ? (getDatasetSpec(ds.name).referenceRejects ?? [])
      : [],
  );
  let result: SplitResult;
  if (splitter.scaffolds === 'none') {
    const valid = mapRows(
      ds,
      'checking SMILES',
      false,
      (s, row) => !rejected.has(row) && hasHeavyAtoms(s, row, ds.source),
    );
    result = splitter.split(labels ? { n, valid, labels, seed, sizes } : { n, valid, seed, sizes });
  } else {
    const chiral = splitter.scaffolds === 'chiral';
    const route = opts.scaffoldSmiles;
    const canonical =
      chiral && (route === 'canonical' || (route === 'auto' && HU_CANONICALIZED.has(ds.name)));
    const scaffolds = mapRows<string | null>(ds, 'scaffolds', null, (s, row) => {
      const where = { row, source: ds.source };
      if (rejected.has(row)) return null;
      const input = canonical ? withMol(s, (m) => m.canonicalSmiles(true), where) : s;
      // One parse per row: GROVER/chemprop also drop molecules without heavy atoms (Hu et al. do not).
      return withMol(
        input,
        (m) =>
          !chiral && !m.record().atoms.some((a) => a.atomicNum > 1)
            ? null
            : murckoScaffold(m, input, { includeChirality: chiral }),
        where,
      );
    });
    result = splitter.split({ n, scaffolds, seed, sizes });
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

/** The labels of a single-task classification dataset, for the stratified split. */
function singleTaskLabels(ds: MoleculeDataset, splitter: Splitter): Float32Array {
  if (ds.taskNames.length !== 1) {
    throw new ConfigError(
      `split method '${splitter.name}' needs a dataset with exactly one task; '${ds.name}' has ` +
        `${ds.taskNames.length} (choose one with --target-columns)`,
    );
  }
  if (ds.taskType !== 'classification') {
    throw new ConfigError(
      `split method '${splitter.name}' needs a classification task; '${ds.name}' is ${ds.taskType}`,
    );
  }
  return ds.targets;
}

/** Maps every row through `fn` (with a progress bar); a row whose SMILES RDKit rejects gets `onInvalid`. */
function mapRows<T>(
  ds: MoleculeDataset,
  label: string,
  onInvalid: T,
  fn: (smiles: string, row: number) => T,
): T[] {
  const out: T[] = [];
  const bar = progressBar(label, ds.smiles.length);
  try {
    for (const [row, s] of ds.smiles.entries()) {
      try {
        out.push(fn(s, row));
      } catch (err) {
        if (!(err instanceof InvalidSmilesError)) throw err;
        out.push(onInvalid);
      }
      if (row % 256 === 0) bar.update(row);
    }
    bar.update(ds.smiles.length);
  } finally {
    bar.stop();
  }
  return out;
}

/** RDKit parses it and it has at least one heavy atom (chemprop/GROVER's filter_invalid_smiles). */
function hasHeavyAtoms(smiles: string, row: number, source: string): boolean {
  return withMol(smiles, (m) => m.record().atoms.some((a) => a.atomicNum > 1), { row, source });
}

/** The split as JSON: one key per line, each index list on a single line. */
export function formatSplitJson(r: SplitResult): string {
  const fields: [string, unknown][] = [
    ['method', r.method],
    ['seed', r.seed],
    ['sizes', r.sizes],
    ['train', r.train],
    ['valid', r.valid],
    ['test', r.test],
    ['invalid', r.invalid],
  ];
  return `{\n${fields.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n}\n`;
}
