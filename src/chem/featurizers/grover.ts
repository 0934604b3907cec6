/**
 * GROVER's features (grover/data/molgraph.py): 151-d atoms = chemprop's 133 blocks (with GROVER's
 * formal-charge quirk) + implicit valence (8) + 4 SMARTS flags + ring sizes 3..8 (6); 14-d bonds.
 * The edge view's 165-d input (source atom ++ bond) is assembled by the model, not stored here.
 */

import { inRingOfSize } from '../perception.js';
import { Smarts } from '../rdkit.js';
import { BOND_BLOCKS, CHEMPROP_ATOM_BLOCKS, writeBondFeatures, writeChempropAtomBlocks } from './chemprop.js';
import { type Featurizer, oneHot } from './types.js';

// The SMARTS GROVER uses for its four pharmacophore flags (same strings as molgraph.py).
export const GROVER_SMARTS = {
  acceptor:
    '[$([O,S;H1;v2;!$(*-*=[O,N,P,S])]),$([O,S;H0;v2]),$([O,S;-]),$([N;v3;!$(N-*=[O,N,P,S])]),' +
    'n&H0&+0,$([o,s;+0;!$([o,s]:n);!$([o,s]:c:n)])]',
  donor: '[$([N;!H0;v3,v4&+1]),$([O,S;H1;+0]),n&H1&+0]',
  acidic: '[$([C,S](=[O,S,P])-[O;H1,-1])]',
  basic:
    '[#7;+,$([N;H2&+0][$([C,a]);!$([C,a](=O))]),$([N;H1&+0]([$([C,a]);!$([C,a](=O))])[$([C,a]);' +
    '!$([C,a](=O))]),$([N;H0&+0]([C;!$(C(=O))])([C;!$(C(=O))])[C;!$(C(=O))])]',
} as const;

const queries = Object.fromEntries(
  Object.entries(GROVER_SMARTS).map(([k, v]) => [k, new Smarts(v)]),
) as Record<keyof typeof GROVER_SMARTS, Smarts>;

/**
 * GROVER's one-hot for formal charge: because its choice list has negatives, molgraph.py indexes
 * the 6-slot vector by the raw charge (0→0, +1→1, +2→2, −1→5, −2→4; +4 collides with −2). Charges
 * GROVER cannot encode (IndexError there: ≥ +6 or ≤ −7) go to the last slot here.
 */
export function groverChargeSlot(charge: number): number {
  if (charge >= 0 && charge <= 5) return charge;
  if (charge < 0 && charge >= -6) return 6 + charge;
  return 5;
}

export const groverFeaturizer: Featurizer = {
  name: 'grover',
  description: "GROVER's atom (151) and bond (14) features",
  kind: 'dense',
  atomDim: 151,
  bondDim: 14,
  atomBlocks: [
    ...CHEMPROP_ATOM_BLOCKS.map((b) =>
      b.name === 'formal_charge'
        ? {
            ...b,
            description: "6 slots indexed by the raw charge (GROVER's quirk): 0,+1,+2 → 0,1,2; −1→5, −2→4",
          }
        : b,
    ),
    { name: 'implicit_valence', width: 8, description: 'one-hot of GetImplicitValence() 0..6, unknown' },
    { name: 'hbond_acceptor', width: 1, description: "matches GROVER's H-bond acceptor SMARTS" },
    { name: 'hbond_donor', width: 1, description: "matches GROVER's H-bond donor SMARTS" },
    { name: 'acidic', width: 1, description: "matches GROVER's acidic SMARTS" },
    { name: 'basic', width: 1, description: "matches GROVER's basic SMARTS" },
    { name: 'ring_size', width: 6, description: 'in a ring of size 3, 4, 5, 6, 7, 8 (SSSR)' },
  ],
  bondBlocks: BOND_BLOCKS,
  prepare(view, mol) {
    const n = mol.atoms.length;
    const flag = (q: Smarts): Uint8Array => {
      const f = new Uint8Array(n);
      for (const match of view.matches(q)) for (const a of match) f[a] = 1;
      return f;
    };
    return {
      acceptor: flag(queries.acceptor),
      donor: flag(queries.donor),
      acidic: flag(queries.acidic),
      basic: flag(queries.basic),
    };
  },
  atom(mol, i, out, offset, ctx) {
    let o = offset;
    o += writeChempropAtomBlocks(mol, i, out, o, (v, off, charge) => {
      v[off + groverChargeSlot(charge)] = 1;
      return 6;
    });
    const a = mol.atoms[i]!;
    o += oneHot(out, o, a.implicitValence, [0, 1, 2, 3, 4, 5, 6]);
    out[o++] = ctx['acceptor']?.[i] ?? 0;
    out[o++] = ctx['donor']?.[i] ?? 0;
    out[o++] = ctx['acidic']?.[i] ?? 0;
    out[o++] = ctx['basic']?.[i] ?? 0;
    for (let size = 3; size <= 8; size++) out[o++] = inRingOfSize(a, size) ? 1 : 0;
  },
  bond: writeBondFeatures,
};
