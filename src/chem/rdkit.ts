/**
 * The one place molgrove touches RDKit (MinimalLib compiled to WebAssembly). Native `Mol` objects live
 * in the wasm heap and must be freed by hand: `withMol` frees them in `finally`, and nothing outside
 * this module ever sees one. Callers get plain data (`MolRecord`) and SMARTS match lists.
 */
import { createRequire } from 'node:module';
import type { Mol as JSMol, MainModule as RDKitModule } from '@rdkit/rdkit';
import { InvalidSmilesError, MolgroveError } from '../errors.js';

let modulePromise: Promise<RDKitModule> | undefined;
let loaded: RDKitModule | undefined;

/** Loads the wasm module once per thread. Legacy stereo perception matches the RDKit the papers used. */
export function loadRDKit(): Promise<RDKitModule> {
  if (!modulePromise) {
    // The package is CommonJS whose typings declare an ES default export; load it the CommonJS way.
    const initRDKit = createRequire(import.meta.url)('@rdkit/rdkit') as () => Promise<RDKitModule>;
    modulePromise = initRDKit().then((rdkit) => {
      rdkit.disable_logging();
      rdkit.use_legacy_stereo_perception(true);
      loaded = rdkit;
      return rdkit;
    });
  }
  return modulePromise as Promise<RDKitModule>;
}

function rdkit(): RDKitModule {
  if (!loaded) throw new MolgroveError('IO', 'RDKit is not loaded yet: await loadRDKit() first');
  return loaded;
}

export function rdkitVersion(): string {
  return rdkit().version();
}

/** A parsed molecule as RDKit sees it after sanitization (aromatic form, implicit Hs, SSSR rings). */
export interface MolRecord {
  readonly atoms: readonly AtomRecord[];
  readonly bonds: readonly BondRecord[];
  /** Symmetrized SSSR as RDKit's RingInfo holds it (atom indices). */
  readonly atomRings: readonly (readonly number[])[];
  /** RDKit's legacy CIP ranks (used to turn cis/trans into E/Z). */
  readonly cipRanks: readonly number[];
}

export type ChiralTag = 0 | 1 | 2 | 3; // UNSPECIFIED, CW, CCW, OTHER (RDKit's enum order)

export interface AtomRecord {
  readonly atomicNum: number;
  readonly formalCharge: number;
  /** Total hydrogens attached (explicit + implicit), RDKit's GetTotalNumHs(). */
  readonly totalHs: number;
  readonly isotope: number;
  readonly radicals: number;
  readonly chiralTag: ChiralTag;
  readonly aromatic: boolean;
}

export type BondStereoLabel = 'none' | 'any' | 'cis' | 'trans';

export interface BondRecord {
  readonly begin: number;
  readonly end: number;
  /** 1, 2, 3 for single/double/triple, 1.5 for aromatic; 0 for zero-order bonds. */
  readonly order: number;
  /** The bond order in RDKit's Kekulé form (aromatic bonds resolved to 1 or 2). */
  readonly kekuleOrder: number;
  readonly aromatic: boolean;
  readonly stereo: BondStereoLabel;
  /** The reference neighbours of `stereo` (begin side, end side) when it is cis/trans. */
  readonly stereoAtoms: readonly [number, number] | undefined;
}

interface CommonChemAtom {
  z?: number;
  impHs?: number;
  chg?: number;
  nRad?: number;
  isotope?: number;
  stereo?: string;
}
interface CommonChemBond {
  bo?: number;
  atoms: [number, number];
  stereo?: string;
  stereoAtoms?: [number, number];
}
interface CommonChemMol {
  atoms?: CommonChemAtom[];
  bonds?: CommonChemBond[];
  extensions?: {
    name: string;
    aromaticAtoms?: number[];
    aromaticBonds?: number[];
    cipRanks?: number[];
    atomRings?: number[][];
  }[];
}
interface CommonChem {
  defaults: { atom: Required<CommonChemAtom>; bond: { bo: number; stereo: string } };
  molecules: CommonChemMol[];
}

const CHIRAL: Record<string, ChiralTag> = { unspecified: 0, cw: 1, ccw: 2, other: 3 };
const BOND_STEREO: Record<string, BondStereoLabel> = {
  unspecified: 'none',
  either: 'any',
  cis: 'cis',
  trans: 'trans',
};

function toRecord(json: string): MolRecord {
  const doc = JSON.parse(json) as CommonChem;
  const mol = doc.molecules[0] ?? {};
  const d = doc.defaults;
  const ext = mol.extensions?.find((e) => e.name === 'rdkitRepresentation');
  const aromaticAtoms = new Set(ext?.aromaticAtoms ?? []);
  const aromaticBonds = new Set(ext?.aromaticBonds ?? []);
  const atoms = (mol.atoms ?? []).map(
    (a, i): AtomRecord => ({
      atomicNum: a.z ?? d.atom.z,
      formalCharge: a.chg ?? d.atom.chg,
      totalHs: a.impHs ?? d.atom.impHs,
      isotope: a.isotope ?? d.atom.isotope,
      radicals: a.nRad ?? d.atom.nRad,
      chiralTag: CHIRAL[a.stereo ?? d.atom.stereo] ?? 0,
      aromatic: aromaticAtoms.has(i),
    }),
  );
  const bonds = (mol.bonds ?? []).map((b, i): BondRecord => {
    const aromatic = aromaticBonds.has(i);
    const kekuleOrder = b.bo ?? d.bond.bo;
    return {
      begin: b.atoms[0],
      end: b.atoms[1],
      order: aromatic ? 1.5 : kekuleOrder,
      kekuleOrder,
      aromatic,
      stereo: BOND_STEREO[b.stereo ?? d.bond.stereo] ?? 'none',
      stereoAtoms: b.stereoAtoms,
    };
  });
  return { atoms, bonds, atomRings: ext?.atomRings ?? [], cipRanks: ext?.cipRanks ?? [] };
}

/** A compiled SMARTS query; compiled once per thread and kept for the process lifetime. */
export class Smarts {
  private query: JSMol | undefined;
  constructor(readonly smarts: string) {}
  /** @internal */
  native(): JSMol {
    if (!this.query) {
      const q = rdkit().get_qmol(this.smarts);
      if (!q) throw new MolgroveError('CONFIG', `invalid SMARTS: ${this.smarts}`);
      this.query = q;
    }
    return this.query;
  }
}

/** What a callback of `withMol` may ask of a parsed molecule; never escapes the callback. */
export interface MolView {
  record(): MolRecord;
  /** Unique substructure matches (atom indices in query order), as RDKit's GetSubstructMatches. */
  matches(query: Smarts): number[][];
  canonicalSmiles(isomeric?: boolean): string;
  /**
   * RDKit's Morgan bit vector (GetMorganFingerprintAsBitVect, no chirality, bond types on), packed
   * 8 bits per byte with bit i at byte i >> 3, bit i & 7.
   */
  morganBits(radius: number, nBits: number): Uint8Array;
}

class NativeMolView implements MolView {
  private cached: MolRecord | undefined;
  constructor(private readonly mol: JSMol) {}
  record(): MolRecord {
    if (!this.cached) this.cached = toRecord(this.mol.get_json());
    return this.cached;
  }
  matches(query: Smarts): number[][] {
    const raw = this.mol.get_substruct_matches(query.native());
    const parsed = JSON.parse(raw) as { atoms: number[] }[] | Record<string, never>;
    return Array.isArray(parsed) ? parsed.map((m) => m.atoms) : [];
  }
  canonicalSmiles(isomeric = true): string {
    return isomeric
      ? this.mol.get_smiles()
      : this.mol.get_smiles(JSON.stringify({ doIsomericSmiles: false }));
  }
  morganBits(radius: number, nBits: number): Uint8Array {
    const packed = this.mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius, nBits })) as Uint8Array;
    // Copy out so the result never aliases memory owned by the wasm module.
    return Uint8Array.from(packed);
  }
}

/** Parses a SMILES string; the native molecule is freed when `fn` returns or throws. */
export function withMol<T>(
  smiles: string,
  fn: (mol: MolView) => T,
  where?: { row?: number; source?: string },
): T {
  const mol = parseNative(smiles, where);
  try {
    return fn(new NativeMolView(mol));
  } finally {
    mol.delete();
  }
}

/** Runs `fn` with RDKit's legacy stereo perception set to `legacy`, restoring it afterwards. */
export function setLegacyStereo<T>(legacy: boolean, fn: () => T): T {
  const previous = rdkit().use_legacy_stereo_perception(legacy);
  try {
    return fn();
  } finally {
    rdkit().use_legacy_stereo_perception(previous);
  }
}

/** Parses SMILES that molgrove itself wrote (no row context); see withMol for user input. */
export function withMolFromSmilesText<T>(smiles: string, fn: (mol: MolView) => T): T {
  if (smiles === '') return fn(EMPTY_VIEW);
  return withMol(smiles, fn);
}

const EMPTY_VIEW: MolView = {
  record: () => ({ atoms: [], bonds: [], atomRings: [], cipRanks: [] }),
  matches: () => [],
  canonicalSmiles: () => '',
  morganBits: (_radius, nBits) => new Uint8Array(Math.ceil(nBits / 8)),
};

/** Parses a molecule given as RDKit JSON (commonchem), e.g. an edited copy of a MolRecord. */
export function withMolFromJson<T>(json: string, fn: (mol: MolView) => T): T {
  const mol = rdkit().get_mol(json);
  if (!mol) throw new MolgroveError('INVALID_SMILES', 'RDKit rejected a molecule built from JSON');
  try {
    return fn(new NativeMolView(mol));
  } finally {
    mol.delete();
  }
}

function parseNative(smiles: string, where?: { row?: number; source?: string }): JSMol {
  const text = smiles.trim();
  // An empty cell parses to an empty molecule in RDKit; for a dataset row that is a missing structure.
  if (text === '') throw new InvalidSmilesError(smiles, where);
  // Outside the try: "RDKit not loaded" is a usage error, not an unparsable row.
  const rd = rdkit();
  let mol: JSMol | null;
  try {
    mol = rd.get_mol(text);
  } catch {
    mol = null;
  }
  if (!mol) throw new InvalidSmilesError(smiles, where);
  if (!mol.is_valid()) {
    mol.delete();
    throw new InvalidSmilesError(smiles, where);
  }
  return mol;
}

/** True when RDKit parses `smiles` (and it is not empty). */
export function isValidSmiles(smiles: string): boolean {
  try {
    withMol(smiles, () => undefined);
    return true;
  } catch (err) {
    if (err instanceof InvalidSmilesError) return false;
    throw err;
  }
}
