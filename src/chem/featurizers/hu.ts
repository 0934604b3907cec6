/**
 * Hu et al. 2020 inputs (pretrain-gnns chem/loader.py, mol_to_graph_data_obj_simple): two integer
 * codes per atom and per bond, meant for embedding tables.
 *   atom: [atomic-number index (Z-1 for Z = 1..118), chiral tag (0 unspecified, 1 CW, 2 CCW, 3 other)]
 *   bond: [type (0 single, 1 double, 2 triple, 3 aromatic; 4 self-loop and 5 mask are added by
 *          models/objectives), direction (0 none, 1 ENDUPRIGHT, 2 ENDDOWNRIGHT)]
 * Hu's code raises on values outside its lists; here they take a spare slot: Z outside 1..118 → 118,
 * other bond types → 0 (single). Cardinalities leave room for the mask token (atom 119, bond 5).
 */
import type { PerceivedMol } from '../perception.js';
import type { Featurizer } from './types.js';

export const HU_NUM_ATOM_TYPE = 120; // 118 elements + spare (118) + mask token (119)
export const HU_MASK_ATOM = 119;
export const HU_NUM_CHIRALITY = 4; // Hu's tables have 3; CHI_OTHER (3) gets its own row here
export const HU_NUM_BOND_TYPE = 6; // 4 types + self-loop (4) + mask (5)
export const HU_SELF_LOOP_BOND = 4;
export const HU_MASK_BOND = 5;
export const HU_NUM_BOND_DIR = 3;

const BOND_TYPE_CODE: Record<string, number> = { SINGLE: 0, DOUBLE: 1, TRIPLE: 2, AROMATIC: 3 };

export function huAtomCode(mol: PerceivedMol, i: number): [number, number] {
  const a = mol.atoms[i]!;
  const z = a.atomicNum >= 1 && a.atomicNum <= 118 ? a.atomicNum - 1 : 118;
  return [z, a.chiralTag];
}

export function huBondCode(mol: PerceivedMol, j: number): [number, number] {
  const b = mol.bonds[j]!;
  return [BOND_TYPE_CODE[b.type] ?? 0, b.dir];
}

export const huFeaturizer: Featurizer = {
  name: 'hu',
  description: 'Hu et al. 2020 integer codes: atom (Z index, chirality), bond (type, direction)',
  kind: 'categorical',
  atomDim: 2,
  bondDim: 2,
  atomCardinalities: [HU_NUM_ATOM_TYPE, HU_NUM_CHIRALITY],
  bondCardinalities: [HU_NUM_BOND_TYPE, HU_NUM_BOND_DIR],
  atomBlocks: [
    { name: 'atomic_num_index', width: 1, description: 'Z-1 for Z = 1..118 (118 = other, 119 = mask token)' },
    { name: 'chiral_tag', width: 1, description: '0 unspecified, 1 CW, 2 CCW, 3 other' },
  ],
  bondBlocks: [
    {
      name: 'bond_type',
      width: 1,
      description: '0 single, 1 double, 2 triple, 3 aromatic (4 self-loop, 5 mask)',
    },
    { name: 'bond_dir', width: 1, description: '0 none, 1 ENDUPRIGHT, 2 ENDDOWNRIGHT' },
  ],
  atom(mol, i, out, offset) {
    const [z, chir] = huAtomCode(mol, i);
    out[offset] = z;
    out[offset + 1] = chir;
  },
  bond(mol, j, out, offset) {
    const [t, d] = huBondCode(mol, j);
    out[offset] = t;
    out[offset + 1] = d;
  },
};
