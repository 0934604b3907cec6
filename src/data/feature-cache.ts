/**
 * On-disk cache of featurized datasets, keyed by the source file's sha256, the SMILES column,
 * the featurizer preset and molgrove's version: featurizing a dataset twice costs nothing the
 * second time, and any change to the file, preset or code gives a new key.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidSmilesError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import type { MoleculeDataset } from './dataset.js';
import { type FeaturizeOptions, featurizeAll } from './featurize.js';
import { FeaturizedDataset } from './featurized.js';
import { fileSha256 } from './fetch.js';

export function featureCacheDir(): string {
  const root = process.env['MOLGROVE_CACHE_DIR'];
  return resolve(root ? join(root, 'featurized') : join(homedir(), '.cache', 'molgrove', 'featurized'));
}

export interface CachedFeaturizeOptions extends FeaturizeOptions {
  /** Skip reading and writing the cache. */
  readonly noCache?: boolean;
}

export interface CachedFeaturizeResult {
  readonly data: FeaturizedDataset;
  readonly cachePath: string | undefined;
  readonly fromCache: boolean;
}

/**
 * Featurizes a loaded dataset, reusing the cache. The cache key hashes the SMILES actually read
 * (so a different SMILES column of the same file is a different entry) plus the file's sha256.
 */
export async function featurizeDataset(
  ds: MoleculeDataset,
  preset: string,
  options: CachedFeaturizeOptions = {},
): Promise<CachedFeaturizeResult> {
  const fileHash = await fileSha256(ds.source);
  const smilesHash = createHash('sha256').update(ds.smiles.join('\n')).digest('hex');
  const key = createHash('sha256')
    .update(JSON.stringify({ fileHash, smilesHash, preset: preset.toLowerCase(), version: VERSION }))
    .digest('hex')
    .slice(0, 24);
  const cachePath = join(featureCacheDir(), `${ds.name}-${preset.toLowerCase()}-${key}.feat`);
  if (!options.noCache) {
    try {
      const data = FeaturizedDataset.fromBytes(readFileSync(cachePath), cachePath);
      // A cached file made with --skip-invalid holds no record of strictness: re-check it here.
      if (data.invalid.length === 0 || options.skipInvalid) return { data, cachePath, fromCache: true };
    } catch {
      // missing or unreadable cache entry: featurize again
    }
  }
  const data = await featurizeAll(ds.smiles, preset, {
    ...options,
    skipInvalid: true,
    source: { path: ds.source, sha256: fileHash },
  });
  if (!options.noCache) await writeFileAtomic(cachePath, data.toBytes());
  if (!options.skipInvalid && data.invalid.length > 0) {
    const first = data.invalid[0]!;
    throw new InvalidSmilesError(first.smiles, { row: first.row, source: ds.source });
  }
  return { data, cachePath: options.noCache ? undefined : cachePath, fromCache: false };
}
