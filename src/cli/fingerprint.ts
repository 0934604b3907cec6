/**
 * `molgrove fingerprint`: molecule embeddings from a saved model (what its head reads: readout ⊕
 * molecule features), as a CSV (smiles, emb_0..emb_{d-1}) or a NumPy .npy float32 matrix. Rows that
 * cannot be featurized are NaN and listed on stderr.
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { ConfigError } from '../errors.js';
import { embedSmiles } from '../train/inference.js';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeNpyFloat32 } from '../util/npy.js';
import { addInputOptions, loadModels, parseBatchSize, readMolFeatures, readSmilesInput } from './model-io.js';

interface FingerprintCliOptions {
  model: string;
  input: string;
  out: string;
  smilesColumn?: string;
  batchSize?: string;
  molFeaturesFile?: string;
}

export function registerFingerprint(program: Command): void {
  const cmd = program
    .command('fingerprint')
    .description('Molecule embeddings from a saved model, as CSV or NumPy .npy')
    .requiredOption('--model <file>', 'model file (seed-<s>/model.mgv)')
    .requiredOption('--input <file>', 'CSV/TSV/.smi file of molecules')
    .requiredOption('--out <file>', 'output: .npy (float32 rows × dim) or CSV (smiles, emb_0, ...)');
  addInputOptions(cmd);
  cmd.action(async (opts: FingerprintCliOptions) => {
    await runFingerprint(opts);
  });
}

async function runFingerprint(opts: FingerprintCliOptions): Promise<void> {
  const batchSize = parseBatchSize(opts.batchSize);
  const { models, paths } = await loadModels(opts.model);
  // Embedding spaces of separately trained seeds are unrelated, so averaging them means nothing.
  if (models.length !== 1)
    throw new ConfigError(
      `--model: ${opts.model} is a run directory of ${models.length} models; give one, e.g. ${paths[0]}`,
    );
  const { model } = models[0]!;
  const input = await readSmilesInput(opts.input, opts.smilesColumn);
  const features = await readMolFeatures(opts.molFeaturesFile, input.smiles);
  const res = await embedSmiles(model, input.smiles, {
    source: opts.input,
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...features,
  });
  const n = input.smiles.length;
  const d = res.width;
  if (opts.out.toLowerCase().endsWith('.npy')) {
    await writeFileAtomic(opts.out, encodeNpyFloat32(res.values, n, d));
  } else {
    const header = ['smiles', ...Array.from({ length: d }, (_, j) => `emb_${j}`)];
    const rows = input.smiles.map((s, i) => {
      const cells = Array.from(res.values.subarray(i * d, (i + 1) * d), (v) =>
        Number.isNaN(v) ? 'nan' : String(v),
      );
      return [s, ...cells];
    });
    await writeFileAtomic(opts.out, stringify([header, ...rows]));
  }
  let failed = 0;
  res.errors.forEach((e, i) => {
    if (e === null) return;
    failed++;
    process.stderr.write(`molgrove: row ${i} (line ${input.lines[i]}): ${e} (embedding is NaN)\n`);
  });
  process.stdout.write(`embedded ${n - failed} rows, ${failed} failed, ${d} dimensions -> ${opts.out}\n`);
}
