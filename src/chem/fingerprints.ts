/**
 * Morgan (ECFP-like) fingerprints, as chemprop's `morgan` and `morgan_count` feature generators use
 * them (chemprop v1 `chemprop/features/features_generators.py`):
 *
 * - bits: RDKit's GetMorganFingerprintAsBitVect(mol, radius, nBits), computed by RDKit.js itself.
 * - counts: RDKit's GetHashedMorganFingerprint(mol, radius, nBits). RDKit.js (MinimalLib 2026.09)
 *   exposes only bit vectors (its `useCountSimulation` option is a lossy bit encoding of counts,
 *   not counts), so the count vector is computed here by RDKit's published Morgan algorithm
 *   (connectivity invariants, 32-bit boost hash_combine, duplicate-environment removal) on the
 *   parsed molecule. Every count vector is checked against RDKit.js's bit vector: its support must
 *   equal the on bits exactly, or the call fails instead of returning a wrong vector.
 *
 * No chirality, bond types on: the defaults chemprop uses. Golden values from python3-rdkit are in
 * test/fixtures/mol-features/morgan.json (scripts/fixtures/gen_morgan.py).
 */
import { ConfigError, DatasetError, MolgroveError } from '../errors.js';
import { ELEMENTS, ISOTOPE_MASSES } from './periodic-table-data.js';
import { type MolRecord, type MolView, withMol } from './rdkit.js';

export interface MorganOptions {
  /** Number of Morgan iterations (ECFP4 = radius 2). Default 2. */
  radius?: number;
  /** Fingerprint length. Default 2048. */
  nBits?: number;
}

const DEFAULT_RADIUS = 2;
const DEFAULT_NBITS = 2048;

/** Options with defaults filled in; fails with a CONFIG error on an invalid radius or length. */
export function resolveMorganOptions(options: MorganOptions): { radius: number; nBits: number } {
  const radius = options.radius ?? DEFAULT_RADIUS;
  const nBits = options.nBits ?? DEFAULT_NBITS;
  if (!Number.isInteger(radius) || radius < 0 || radius > 16) {
    throw new ConfigError(`Morgan radius must be an integer in [0, 16], got ${radius}`);
  }
  if (!Number.isInteger(nBits) || nBits < 1 || nBits > 1 << 24) {
    throw new ConfigError(`Morgan nBits must be an integer in [1, 2^24], got ${nBits}`);
  }
  return { radius, nBits };
}

/** Unpacks RDKit.js's packed bit vector (bit i = byte i >> 3, bit i & 7) into 0/1 floats. */
function unpackBits(packed: Uint8Array, nBits: number): Float32Array {
  const out = new Float32Array(nBits);
  for (let i = 0; i < nBits; i++) out[i] = ((packed[i >> 3] ?? 0) >> (i & 7)) & 1;
  return out;
}

/** Morgan bit vector of a parsed molecule as 0/1 floats. */
export function morganBitsOf(mol: MolView, options: MorganOptions = {}): Float32Array {
  const { radius, nBits } = resolveMorganOptions(options);
  return unpackBits(mol.morganBits(radius, nBits), nBits);
}

/** Morgan hashed count vector of a parsed molecule, checked against RDKit.js's bit vector. */
export function morganCountsOf(mol: MolView, options: MorganOptions = {}): Float32Array {
  const { radius, nBits } = resolveMorganOptions(options);
  const counts = hashedMorganCounts(mol.record(), radius, nBits);
  const bits = mol.morganBits(radius, nBits);
  for (let i = 0; i < nBits; i++) {
    if ((counts[i]! > 0 ? 1 : 0) !== (((bits[i >> 3] ?? 0) >> (i & 7)) & 1)) {
      throw new DatasetError(
        `Morgan counts of ${mol.canonicalSmiles()} disagree with RDKit's bit vector at bit ${i} ` +
          `(radius ${radius}, nBits ${nBits}): the molecule has a feature the count implementation ` +
          'does not model (e.g. a query bond)',
      );
    }
  }
  return counts;
}

/** `morganBitsOf` for a SMILES string (throws InvalidSmilesError with `where` when unparsable). */
export function morganBits(
  smiles: string,
  options: MorganOptions = {},
  where?: { row?: number; source?: string },
): Float32Array {
  return withMol(smiles, (mol) => morganBitsOf(mol, options), where);
}

/** `morganCountsOf` for a SMILES string. */
export function morganCounts(
  smiles: string,
  options: MorganOptions = {},
  where?: { row?: number; source?: string },
): Float32Array {
  return withMol(smiles, (mol) => morganCountsOf(mol, options), where);
}

// ---------------------------------------------------------------------------------------------
// The count vector. RDKit hashes with its own 32-bit copy of boost's hash_combine, so every
// intermediate value below is an unsigned 32-bit integer.

function hashCombine(seed: number, value: number): number {
  return (seed ^ ((value + 0x9e3779b9 + (seed << 6) + (seed >>> 2)) >>> 0)) >>> 0;
}

/** boost's hash of std::pair<int32, uint32>: a fresh seed combined with both members. */
function hashPair(first: number, second: number): number {
  return hashCombine(hashCombine(0, first), second);
}

/**
 * RDKit's Bond::BondType value of a MolRecord bond. MinimalLib's JSON writes SINGLE..QUADRUPLE as
 * their orders and DATIVE as its enum value 17; a 0 is taken as ZERO (21). Anything else fails, and
 * a wrong guess would be caught by the comparison with RDKit.js's bit vector.
 */
function bondTypeCode(order: number, aromatic: boolean): number {
  if (aromatic) return 12;
  if (order === 1 || order === 2 || order === 3 || order === 4 || order === 17) return order;
  if (order === 0) return 21;
  throw new MolgroveError('INVALID_SMILES', `Morgan counts: unsupported bond order ${order}`);
}

/**
 * RDKit's connectivity invariant per atom: hash of (atomic number, total degree, total Hs counting
 * H neighbours, formal charge, whole-number isotope mass shift, [1 if in a ring]).
 */
function connectivityInvariants(record: MolRecord): Uint32Array {
  const n = record.atoms.length;
  const degree = new Int32Array(n);
  const hNeighbours = new Int32Array(n);
  for (const b of record.bonds) {
    degree[b.begin]!++;
    degree[b.end]!++;
    if (record.atoms[b.end]?.atomicNum === 1) hNeighbours[b.begin]!++;
    if (record.atoms[b.begin]?.atomicNum === 1) hNeighbours[b.end]!++;
  }
  const inRing = new Uint8Array(n);
  for (const ring of record.atomRings) for (const a of ring) inRing[a] = 1;
  const out = new Uint32Array(n);
  record.atoms.forEach((a, i) => {
    const weight = ELEMENTS[a.atomicNum]?.[1] ?? 0;
    // RDKit: an isotope missing from its table weighs its mass number.
    const mass = a.isotope > 0 ? (ISOTOPE_MASSES[`${a.atomicNum}:${a.isotope}`] ?? a.isotope) : weight;
    const components = [
      a.atomicNum,
      degree[i]! + a.totalHs,
      a.totalHs + hNeighbours[i]!,
      a.formalCharge >>> 0,
      Math.trunc(mass - weight) >>> 0,
    ];
    if (inRing[i]) components.push(1);
    let seed = 0;
    for (const c of components) seed = hashCombine(seed, c);
    out[i] = seed;
  });
  return out;
}

/**
 * The identifiers of RDKit's unfolded Morgan fingerprint (GetMorganFingerprint: connectivity
 * invariants, bond types on, no chirality), each passed to `emit` with its radius (0 for the atom
 * invariants), in RDKit's order. Duplicates are emitted as RDKit counts them.
 */
export function morganIdentifiers(
  record: MolRecord,
  radius: number,
  emit: (id: number, layer: number) => void,
): void {
  const nAtoms = record.atoms.length;
  const nBonds = record.bonds.length;
  const words = Math.max(1, Math.ceil(nBonds / 32));

  const atomBonds: number[][] = Array.from({ length: nAtoms }, () => []);
  const bondType = new Int32Array(nBonds);
  record.bonds.forEach((b, i) => {
    atomBonds[b.begin]!.push(i);
    atomBonds[b.end]!.push(i);
    bondType[i] = bondTypeCode(b.kekuleOrder, b.aromatic);
  });

  let invariants = connectivityInvariants(record);
  for (const inv of invariants) emit(inv, 0);

  // Environments already in the fingerprint, keyed by the bond set they cover.
  const seen = new Set<string>();
  // Bond set (bitset over bond indices) each atom's environment covers after the last round.
  let envs: Uint32Array[] = Array.from({ length: nAtoms }, () => new Uint32Array(words));
  const dead = new Uint8Array(nAtoms);
  for (let layer = 0; layer < radius; layer++) {
    // Atoms dropped in this or an earlier round pass 0 to their neighbours next round, as RDKit does.
    const next = new Uint32Array(nAtoms);
    const nextEnvs = envs.map((e) => e.slice());
    const round: { key: string; invariant: number; atom: number }[] = [];
    for (let a = 0; a < nAtoms; a++) {
      if (dead[a]) continue;
      const bonds = atomBonds[a]!;
      // An isolated atom has no environment beyond radius 0.
      if (bonds.length === 0) {
        dead[a] = 1;
        continue;
      }
      const env = nextEnvs[a]!;
      const nbrs: [number, number][] = [];
      for (const bi of bonds) {
        const b = record.bonds[bi]!;
        const other = b.begin === a ? b.end : b.begin;
        env[bi >> 5]! |= 1 << (bi & 31);
        const otherEnv = envs[other]!;
        for (let w = 0; w < words; w++) env[w]! |= otherEnv[w]!;
        nbrs.push([bondType[bi]!, invariants[other]!]);
      }
      nbrs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      let invariant = hashCombine(layer, invariants[a]!);
      for (const [t, inv] of nbrs) invariant = hashCombine(invariant, hashPair(t, inv));
      next[a] = invariant;
      const key = env.join(',');
      round.push({ key, invariant, atom: a });
      if (seen.has(key)) dead[a] = 1;
    }
    // Of atoms whose environments cover the same bonds, the one with the smallest invariant counts
    // (RDKit sorts by bond set, invariant, atom; only the order within one bond set matters).
    round.sort((x, y) =>
      x.key < y.key ? -1 : x.key > y.key ? 1 : x.invariant - y.invariant || x.atom - y.atom,
    );
    for (const r of round) {
      if (seen.has(r.key)) {
        dead[r.atom] = 1;
      } else {
        emit(r.invariant, layer + 1);
        seen.add(r.key);
      }
    }
    invariants = next;
    envs = nextEnvs;
  }
}

/** RDKit's GetHashedMorganFingerprint(mol, radius, nBits) (no chirality, bond types on) as floats. */
export function hashedMorganCounts(record: MolRecord, radius: number, nBits: number): Float32Array {
  const res = new Float32Array(nBits);
  morganIdentifiers(record, radius, (id) => {
    res[id % nBits]!++;
  });
  return res;
}
