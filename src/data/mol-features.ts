/**
 * Molecule-level feature vectors ("mol features"): one fixed-length vector per molecule, appended
 * after the graph readout (chemprop's and GROVER's `--features_generator`) or used alone by a
 * fingerprint baseline. Mirrors the generator registry of chemprop v1
 * `chemprop/features/features_generators.py` (`morgan`, `morgan_count`, later `rdkit_2d_normalized`),
 * plus user-provided feature files (chemprop's `--features_path`) aligned row by row with a dataset.
 */
import { RDKIT2D_NAMES, rdkit2dOfSmiles } from '../chem/descriptors/index.js';
import { normalizeRdkit2d } from '../chem/descriptors/normalize.js';
import { morganBits, morganCounts, resolveMorganOptions } from '../chem/fingerprints.js';
import { loadRDKit } from '../chem/rdkit.js';
import { ConfigError, DatasetError, InvalidSmilesError, unknownChoice } from '../errors.js';
import { findColumn, type ReadCsvOptions, readCsv } from './csv.js';

/** Where a SMILES came from, for error messages. */
export interface FeatureWhere {
  row?: number;
  source?: string;
}

export interface MolFeatureGenerator {
  /** Canonical name (what checkpoints and configs record). */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Length of every vector `compute` returns. */
  readonly dim: number;
  /** The vector of one molecule; RDKit must be loaded (`await loadRDKit()`). */
  compute(smiles: string, where?: FeatureWhere): Float32Array;
}

/** Options a generator may take; each generator ignores the ones that do not apply to it. */
export interface MolFeatureOptions {
  /** Morgan radius (default 2, i.e. ECFP4). */
  radius?: number;
  /** Morgan fingerprint length (default 2048). */
  nBits?: number;
}

interface GeneratorSpec {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  create(options: MolFeatureOptions): MolFeatureGenerator;
}

const SPECS: readonly GeneratorSpec[] = [
  {
    name: 'morgan',
    aliases: ['ecfp', 'morgan_bits'],
    description: 'Morgan/ECFP bit vector (RDKit GetMorganFingerprintAsBitVect; default radius 2, 2048 bits)',
    create(options) {
      const o = resolveMorganOptions(options);
      return {
        name: 'morgan',
        aliases: this.aliases,
        description: this.description,
        dim: o.nBits,
        compute: (smiles, where) => morganBits(smiles, o, where),
      };
    },
  },
  {
    name: 'morgan_count',
    aliases: ['ecfp_count', 'morgan_counts'],
    description: 'hashed Morgan counts (RDKit GetHashedMorganFingerprint; default radius 2, 2048 bins)',
    create(options) {
      const o = resolveMorganOptions(options);
      return {
        name: 'morgan_count',
        aliases: this.aliases,
        description: this.description,
        dim: o.nBits,
        compute: (smiles, where) => morganCounts(smiles, o, where),
      };
    },
  },
  {
    name: 'rdkit2d',
    aliases: ['rdkit_2d'],
    description: "chemprop's rdkit_2d: the 200 RDKit descriptors of descriptastorus RDKit2D, raw",
    create() {
      return {
        name: 'rdkit2d',
        aliases: this.aliases,
        description: this.description,
        dim: RDKIT2D_NAMES.length,
        // A descriptor RDKit cannot compute (NaN, ±inf: e.g. Gasteiger charges of metals) becomes 0,
        // as chemprop does for NaN; NaN here would mark the whole row unusable.
        compute: (smiles, where) =>
          Float32Array.from(rdkit2dOfSmiles(smiles, where), (v) => (Number.isFinite(v) ? v : 0)),
      };
    },
  },
  {
    name: 'rdkit2d_normalized',
    aliases: ['rdkit_2d_normalized'],
    description:
      "chemprop's and GROVER's rdkit_2d_normalized: the 200 descriptors through descriptastorus's fitted CDFs",
    create() {
      return {
        name: 'rdkit2d_normalized',
        aliases: this.aliases,
        description: this.description,
        dim: RDKIT2D_NAMES.length,
        compute: (smiles, where) => normalizeRdkit2d(rdkit2dOfSmiles(smiles, where)),
      };
    },
  },
];

const BY_ALIAS = new Map<string, GeneratorSpec>();
for (const s of SPECS) for (const alias of [s.name, ...s.aliases]) BY_ALIAS.set(alias, s);

/** Canonical names of the registered generators. */
export const MOL_FEATURE_NAMES: readonly string[] = SPECS.map((s) => s.name);

/** Every registered generator: name, aliases, description. */
export function listMolFeatureGenerators(): {
  name: string;
  aliases: readonly string[];
  description: string;
}[] {
  return SPECS.map((s) => ({ name: s.name, aliases: s.aliases, description: s.description }));
}

/** The generator registered under `name` (or an alias, case-insensitive), configured by `options`. */
export function getMolFeatureGenerator(name: string, options: MolFeatureOptions = {}): MolFeatureGenerator {
  const spec = BY_ALIAS.get(name.trim().toLowerCase());
  if (!spec) throw unknownChoice('mol feature generator', name, MOL_FEATURE_NAMES);
  return spec.create(options);
}

/** A row-major n×dim matrix of molecule features. */
export interface MolFeatureMatrix {
  /** Generator name or, for a file, its path. */
  readonly name: string;
  /** Column names (`name[i]` for generators, the header for files). */
  readonly columns: readonly string[];
  readonly dim: number;
  readonly rows: number;
  /** Row-major rows×dim values. */
  readonly data: Float32Array;
}

export interface ComputeMolFeaturesOptions extends MolFeatureOptions {
  /** Labels error messages (e.g. the dataset's file). */
  source?: string;
}

/**
 * Computes one generator's vectors for every SMILES, in order. An unparsable SMILES throws
 * InvalidSmilesError naming its 0-based row.
 */
export async function computeMolFeatures(
  smiles: readonly string[],
  generator: string | MolFeatureGenerator,
  options: ComputeMolFeaturesOptions = {},
): Promise<MolFeatureMatrix> {
  const gen = typeof generator === 'string' ? getMolFeatureGenerator(generator, options) : generator;
  await loadRDKit();
  const n = smiles.length;
  const data = new Float32Array(n * gen.dim);
  for (let r = 0; r < n; r++) {
    const where: FeatureWhere =
      options.source === undefined ? { row: r } : { row: r, source: options.source };
    const s = smiles[r]!;
    if (s.trim() === '') throw new InvalidSmilesError(s, where);
    const v = gen.compute(s, where);
    if (v.length !== gen.dim) {
      throw new ConfigError(
        `generator '${gen.name}' returned ${v.length} values for row ${r}, expected ${gen.dim}`,
      );
    }
    data.set(v, r * gen.dim);
  }
  const columns = Array.from({ length: gen.dim }, (_, i) => `${gen.name}[${i}]`);
  return { name: gen.name, columns, dim: gen.dim, rows: n, data };
}

export interface LoadFeatureFileOptions extends ReadCsvOptions {
  /**
   * The dataset's SMILES: the file must have exactly this many rows, and its SMILES column (when
   * there is one) must hold the same strings, row by row.
   */
  smiles?: readonly string[];
  /** SMILES column of the feature file; default a column named `smiles` (any case) if present. */
  smilesColumn?: string;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads user-provided molecule features (chemprop's `--features_path`): a CSV/TSV with a header,
 * one row per dataset row in the same order, an optional SMILES column checked against the
 * dataset, and every other column numeric. A bad cell fails with file, line and column; there are
 * no missing values (impute them before, so that no silent default enters a model).
 */
export async function loadFeatureFile(
  path: string,
  options: LoadFeatureFileOptions = {},
): Promise<MolFeatureMatrix> {
  const table = await readCsv(path, options.format === undefined ? {} : { format: options.format });
  if (table.format === 'smi') {
    throw new ConfigError(`${path}: a feature file must be a CSV or TSV with a header, not a SMILES file`);
  }
  const { header, rows, lines } = table;
  let smilesIdx = -1;
  if (options.smilesColumn !== undefined) {
    smilesIdx = findColumn(header, options.smilesColumn);
    if (smilesIdx < 0) {
      throw new ConfigError(
        `${path}: no SMILES column '${options.smilesColumn}'; header: ${header.join(', ')}`,
      );
    }
  } else {
    smilesIdx = findColumn(header, 'smiles');
  }
  const featureIdx = header.map((_, i) => i).filter((i) => i !== smilesIdx);
  if (featureIdx.length === 0)
    throw new DatasetError(`${path}: no feature columns besides the SMILES column`);

  const expected = options.smiles;
  if (expected !== undefined && rows.length !== expected.length) {
    throw new DatasetError(
      `${path}: ${rows.length} feature rows but the dataset has ${expected.length} molecules ` +
        '(rows must align one to one, in dataset order)',
    );
  }
  const dim = featureIdx.length;
  const data = new Float32Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (expected !== undefined && smilesIdx >= 0) {
      const got = row[smilesIdx]!.trim();
      const want = expected[r]!.trim();
      if (got !== want) {
        throw new DatasetError(
          `${path} line ${lines[r]}, column ${smilesIdx + 1} '${header[smilesIdx]}': SMILES ` +
            `${JSON.stringify(got)} does not match the dataset's row ${r} ${JSON.stringify(want)} ` +
            '(feature rows must be in dataset order)',
        );
      }
    }
    for (let k = 0; k < dim; k++) {
      const c = featureIdx[k]!;
      const text = row[c]!.trim();
      const v = NUMBER.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(v)) {
        throw new DatasetError(
          `${path} line ${lines[r]}, column ${c + 1} '${header[c]}': feature value ${JSON.stringify(text)} ` +
            'is not a finite number',
        );
      }
      data[r * dim + k] = v;
    }
  }
  return { name: path, columns: featureIdx.map((i) => header[i]!), dim, rows: rows.length, data };
}
