/** `molgrove featurize`: a dataset → a .feat file of molecular graphs (cached; parallel for big files). */
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { FEATURIZER_NAMES, getFeaturizer } from '../chem/featurizers/index.js';
import { featurizeDataset } from '../data/feature-cache.js';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { addDatasetOptions, type DatasetCliOptions, loadDatasetFromOptions } from './dataset-options.js';
import { printJson, printTable } from './output.js';
import { progressBar } from './progress.js';

interface FeaturizeCliOptions extends DatasetCliOptions {
  features: string;
  out?: string;
  skipInvalid?: boolean;
  threads?: string;
  cache: boolean;
  json?: boolean;
  describe?: boolean;
}

export function registerFeaturize(program: Command): void {
  const cmd = program
    .command('featurize')
    .description('turn a dataset into molecular graphs (atom/bond features, edges) saved as a .feat file')
    .option(
      '--features <preset>',
      `featurizer preset: ${FEATURIZER_NAMES.join(', ')} (basic = hu, rich = grover)`,
      'grover',
    )
    .option('--out <file>', 'output .feat file')
    .option('--skip-invalid', 'skip SMILES RDKit cannot parse, listing them in invalid.csv beside --out')
    .option('--threads <n>', 'worker threads (default: all cores for files of 2000+ molecules)')
    .option('--no-cache', 'neither read nor write the featurization cache')
    .option('--describe', 'print the feature layout of --features (block, width, meaning) and exit')
    .option('--json', 'print the summary as JSON');
  addDatasetOptions(cmd);
  cmd.action(async (opts: FeaturizeCliOptions) => {
    const featurizer = getFeaturizer(opts.features);
    if (opts.describe) {
      describe(featurizer.name, opts.json === true);
      return;
    }
    if (!opts.out) throw new ConfigError('featurize needs --out <file>');
    const threads = opts.threads === undefined ? undefined : Number(opts.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      throw new ConfigError(`--threads must be a positive integer, got '${opts.threads}'`);
    }
    const ds = await loadDatasetFromOptions(opts);
    const bar = progressBar(`featurize ${ds.name}`, ds.smiles.length);
    const started = performance.now();
    const result = await featurizeDataset(ds, featurizer.name, {
      ...(threads === undefined ? {} : { threads }),
      skipInvalid: opts.skipInvalid === true,
      noCache: !opts.cache,
      onProgress: (done) => bar.update(done),
    }).finally(() => bar.stop());
    const seconds = (performance.now() - started) / 1000;
    const data = result.data;
    await writeFileAtomic(opts.out, data.toBytes());
    let invalidPath: string | undefined;
    if (data.invalid.length > 0) {
      invalidPath = join(dirname(opts.out), 'invalid.csv');
      const rows = data.invalid.map((r) => [r.row, r.smiles, r.message]);
      await writeFileAtomic(invalidPath, stringify([['row', 'smiles', 'error'], ...rows]));
    }
    const summary = {
      dataset: ds.name,
      source: ds.source,
      features: featurizer.name,
      atomDim: data.atomDim,
      bondDim: data.bondDim,
      rows: data.numRows,
      molecules: data.size,
      atoms: data.numAtoms,
      directedEdges: data.numEdges,
      invalid: data.invalid.length,
      invalidFile: invalidPath ?? null,
      out: opts.out,
      fromCache: result.fromCache,
      seconds: Number(seconds.toFixed(3)),
      moleculesPerSecond: Math.round(data.numRows / Math.max(seconds, 1e-9)),
    };
    if (opts.json) {
      printJson(summary);
      return;
    }
    printTable(
      ['key', 'value'],
      Object.entries(summary).map(([k, v]) => [k, v === null ? '-' : String(v)]),
    );
  });
}

function describe(preset: string, json: boolean): void {
  const f = getFeaturizer(preset);
  const layout = (blocks: typeof f.atomBlocks) => {
    let offset = 0;
    return blocks.map((b) => {
      const row = { offset, width: b.width, name: b.name, description: b.description };
      offset += b.width;
      return row;
    });
  };
  const atom = layout(f.atomBlocks);
  const bond = layout(f.bondBlocks);
  if (json) {
    printJson({ name: f.name, kind: f.kind, atomDim: f.atomDim, bondDim: f.bondDim, atom, bond });
    return;
  }
  process.stdout.write(`${f.name}: ${f.description} (${f.kind})\n\natom features (${f.atomDim}):\n`);
  printTable(
    ['offset', 'width', 'block', 'meaning'],
    atom.map((r) => [r.offset, r.width, r.name, r.description]),
  );
  process.stdout.write(`\nbond features (${f.bondDim}, per directed edge):\n`);
  printTable(
    ['offset', 'width', 'block', 'meaning'],
    bond.map((r) => [r.offset, r.width, r.name, r.description]),
  );
}
