/**
 * Splitting a loaded dataset the way the papers' pipelines did: the scaffolds each method needs,
 * computed from the right SMILES, and the rows each pipeline excluded. Shared by `molgrove split`
 * and fine-tuning, so a fine-tune's split is exactly the one `split` writes.
 *
 * Which rows are excluded ("invalid") follows the reference pipelines:
 * - scaffold, random_scaffold (Hu et al.): SMILES RDKit cannot parse (their loaders drop them);
 * - balanced_scaffold, random, stratified (chemprop/GROVER `filter_invalid_smiles`): SMILES RDKit
 *   cannot parse and molecules without heavy atoms.
 */
import { loadRDKit, withMol } from '../../chem/rdkit.js';
import { murckoScaffold } from '../../chem/scaffold.js';
import { ConfigError, InvalidSmilesError } from '../../errors.js';
import type { MoleculeDataset } from '../dataset.js';
import { getDatasetSpec, isRegisteredDataset } from '../registry.js';
import { getSplitter } from './registry.js';
import type { SplitResult, SplitSizes, Splitter } from './types.js';

export const SCAFFOLD_INPUTS = ['auto', 'raw', 'canonical'] as const;
export type ScaffoldInput = (typeof SCAFFOLD_INPUTS)[number];

/**
 * Hu et al.'s loaders for these datasets store MolToSmiles(mol) in processed/smiles.csv, and
 * finetune.py computes the scaffolds from that file; for the others it holds the CSV's SMILES.
 * The route changes some double-bond stereo in scaffolds (4 BBBP molecules change side).
 */
const HU_CANONICALIZED = new Set(['bbbp', 'clintox', 'toxcast']);

export interface DatasetSplitOptions {
  readonly seed: number;
  readonly sizes: SplitSizes;
  /** SMILES the chiral (Hu et al.) scaffolds are computed from; default 'auto'. */
  readonly scaffoldSmiles?: ScaffoldInput;
  /** True when the dataset is a registry entry read from its registered file (enables its reference rejects). */
  readonly registered?: boolean;
  /** Called now and then with rows done and the total (progress display). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Splits a dataset with the named method as the reference pipeline did. */
export async function splitDataset(
  ds: MoleculeDataset,
  method: string,
  options: DatasetSplitOptions,
): Promise<SplitResult> {
  const splitter = getSplitter(method);
  const { seed, sizes } = options;
  const labels = splitter.needsLabels ? singleTaskLabels(ds, splitter) : undefined;
  await loadRDKit();
  const n = ds.smiles.length;
  const registered = options.registered ?? isRegisteredDataset(ds.name);
  const rejected = new Set(registered ? (getDatasetSpec(ds.name).referenceRejects ?? []) : []);
  const map = <T>(onInvalid: T, fn: (s: string, row: number) => T): T[] =>
    mapRows(ds, onInvalid, fn, options.onProgress);
  if (splitter.scaffolds === 'none') {
    const valid = map(false, (s, row) => !rejected.has(row) && hasHeavyAtoms(s, row, ds.source));
    return splitter.split(labels ? { n, valid, labels, seed, sizes } : { n, valid, seed, sizes });
  }
  const chiral = splitter.scaffolds === 'chiral';
  const route = options.scaffoldSmiles ?? 'auto';
  const canonical = chiral && (route === 'canonical' || (route === 'auto' && HU_CANONICALIZED.has(ds.name)));
  const scaffolds = map<string | null>(null, (s, row) => {
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
  return splitter.split({ n, scaffolds, seed, sizes });
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

/** Maps every row through `fn`; a row whose SMILES RDKit rejects gets `onInvalid`. */
function mapRows<T>(
  ds: MoleculeDataset,
  onInvalid: T,
  fn: (smiles: string, row: number) => T,
  onProgress: ((done: number, total: number) => void) | undefined,
): T[] {
  const out: T[] = [];
  const total = ds.smiles.length;
  for (const [row, s] of ds.smiles.entries()) {
    try {
      out.push(fn(s, row));
    } catch (err) {
      if (!(err instanceof InvalidSmilesError)) throw err;
      out.push(onInvalid);
    }
    if (row % 256 === 0) onProgress?.(row, total);
  }
  onProgress?.(total, total);
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
