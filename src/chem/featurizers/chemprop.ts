/**
 * chemprop v1 features (chemprop/features/featurization.py): 133-d atoms, 14-d bonds.
 * GROVER's 151-d atom features start with the same blocks (with one quirk, see grover.ts).
 */
import { Hybridization, type PerceivedMol } from '../perception.js';
import { type FeatureBlock, type Featurizer, oneHot, range } from './types.js';

export const ATOMIC_NUM_CHOICES = range(100); // atomic number - 1, i.e. Z = 1..100
export const DEGREE_CHOICES = [0, 1, 2, 3, 4, 5];
export const FORMAL_CHARGE_CHOICES = [-1, -2, 1, 2, 0];
export const CHIRAL_TAG_CHOICES = [0, 1, 2, 3];
export const NUM_HS_CHOICES = [0, 1, 2, 3, 4];
export const STEREO_CHOICES = range(6);
export const HYBRIDIZATION_CHOICES = [
  Hybridization.SP,
  Hybridization.SP2,
  Hybridization.SP3,
  Hybridization.SP3D,
  Hybridization.SP3D2,
];

export const CHEMPROP_ATOM_BLOCKS: readonly FeatureBlock[] = [
  { name: 'atomic_num', width: 101, description: 'one-hot of Z-1 for Z = 1..100, then unknown' },
  { name: 'total_degree', width: 7, description: 'one-hot of GetTotalDegree() (incl. Hs) 0..5, unknown' },
  { name: 'formal_charge', width: 6, description: 'one-hot over [-1, -2, +1, +2, 0], unknown' },
  {
    name: 'chiral_tag',
    width: 5,
    description: 'one-hot of the chiral tag 0..3 (unspecified, CW, CCW, other), unknown',
  },
  { name: 'num_hs', width: 6, description: 'one-hot of GetTotalNumHs() 0..4, unknown' },
  { name: 'hybridization', width: 6, description: 'one-hot over SP, SP2, SP3, SP3D, SP3D2, unknown' },
  { name: 'aromatic', width: 1, description: '1 if aromatic' },
  { name: 'mass', width: 1, description: 'atomic mass (isotope-aware, RDKit GetMass()) x 0.01' },
];

export const BOND_BLOCKS: readonly FeatureBlock[] = [
  { name: 'bond_is_none', width: 1, description: '1 only for a padding bond; always 0 here' },
  { name: 'bond_type', width: 4, description: 'single, double, triple, aromatic flags' },
  { name: 'conjugated', width: 1, description: 'RDKit GetIsConjugated()' },
  { name: 'in_ring', width: 1, description: 'RDKit IsInRing()' },
  {
    name: 'stereo',
    width: 7,
    description: 'one-hot of GetStereo() 0..5 (none, any, Z, E, cis, trans), unknown',
  },
];

/** Writes the first 133 columns shared by chemprop and GROVER, with the charge encoder given. */
export function writeChempropAtomBlocks(
  mol: PerceivedMol,
  i: number,
  out: Float32Array,
  offset: number,
  encodeCharge: (out: Float32Array, offset: number, charge: number) => number,
): number {
  const a = mol.atoms[i]!;
  let o = offset;
  o += oneHot(out, o, a.atomicNum - 1, ATOMIC_NUM_CHOICES);
  o += oneHot(out, o, a.totalDegree, DEGREE_CHOICES);
  o += encodeCharge(out, o, a.formalCharge);
  o += oneHot(out, o, a.chiralTag, CHIRAL_TAG_CHOICES);
  o += oneHot(out, o, a.totalHs, NUM_HS_CHOICES);
  o += oneHot(out, o, a.hybridization, HYBRIDIZATION_CHOICES);
  out[o++] = a.aromatic ? 1 : 0;
  out[o++] = a.mass * 0.01;
  return o - offset;
}

/** The 14-d bond vector chemprop v1 and GROVER share. */
export function writeBondFeatures(mol: PerceivedMol, j: number, out: Float32Array, offset: number): void {
  const b = mol.bonds[j]!;
  out[offset + 1] = b.type === 'SINGLE' ? 1 : 0;
  out[offset + 2] = b.type === 'DOUBLE' ? 1 : 0;
  out[offset + 3] = b.type === 'TRIPLE' ? 1 : 0;
  out[offset + 4] = b.type === 'AROMATIC' ? 1 : 0;
  out[offset + 5] = b.conjugated ? 1 : 0;
  out[offset + 6] = b.inRing ? 1 : 0;
  oneHot(out, offset + 7, b.stereo, STEREO_CHOICES);
}

export const chempropFeaturizer: Featurizer = {
  name: 'chemprop',
  description: 'chemprop v1 atom (133) and bond (14) features',
  kind: 'dense',
  atomDim: 133,
  bondDim: 14,
  atomBlocks: CHEMPROP_ATOM_BLOCKS,
  bondBlocks: BOND_BLOCKS,
  atom(mol, i, out, offset) {
    writeChempropAtomBlocks(mol, i, out, offset, (o, off, charge) =>
      oneHot(o, off, charge, FORMAL_CHARGE_CHOICES),
    );
  },
  bond: writeBondFeatures,
};
