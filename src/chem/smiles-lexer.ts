/**
 * A small SMILES reader for the two facts RDKit's MinimalLib does not expose: which atoms were
 * written in brackets (their hydrogens are explicit, so RDKit's implicit valence is 0) and which
 * single bonds carry '/' or '\' (RDKit's bond direction, one of Hu et al.'s two bond features).
 * It does not validate chemistry; RDKit has already accepted the string when this runs.
 */
export interface LexedAtom {
  readonly atomicNum: number;
  readonly bracket: boolean;
}

export interface LexedDirBond {
  /** The bond's begin atom as RDKit stores it (lexed atom index). */
  readonly begin: number;
  readonly end: number;
  /** RDKit's BondDir: 1 = ENDUPRIGHT ('/'), 2 = ENDDOWNRIGHT ('\'). */
  readonly dir: 1 | 2;
}

export interface LexedSmiles {
  readonly atoms: readonly LexedAtom[];
  readonly dirBonds: readonly LexedDirBond[];
  /** Bonds between lexed atoms (begin, end), to find the heavy-atom neighbour of a removed [H]. */
  readonly bonds: readonly (readonly [number, number])[];
}

const ORGANIC: Record<string, number> = {
  B: 5,
  C: 6,
  N: 7,
  O: 8,
  P: 15,
  S: 16,
  F: 9,
  Cl: 17,
  Br: 35,
  I: 53,
  b: 5,
  c: 6,
  n: 7,
  o: 8,
  p: 15,
  s: 16,
};

let symbolToZ: Map<string, number> | undefined;
function elementNumber(symbol: string, table: readonly (readonly [string, ...unknown[]])[]): number {
  if (!symbolToZ) {
    symbolToZ = new Map(table.map((row, z) => [row[0], z]));
  }
  // Aromatic bracket symbols are lowercase (c, n, se, as, te ...).
  const cap = symbol.charAt(0).toUpperCase() + symbol.slice(1);
  return symbolToZ.get(cap) ?? 0;
}

/** Reads the atoms and directional bonds of a SMILES string (RDKit has already parsed it). */
export function lexSmiles(smiles: string, table: readonly (readonly [string, ...unknown[]])[]): LexedSmiles {
  const atoms: LexedAtom[] = [];
  const dirBonds: LexedDirBond[] = [];
  const bonds: [number, number][] = [];
  const stack: number[] = [];
  const rings = new Map<string, { atom: number; symbol: string }>();
  let prev = -1;
  let pendingBond = '';
  let i = 0;
  const addBond = (begin: number, end: number, sym: string): void => {
    bonds.push([begin, end]);
    if (sym === '/' || sym === '\\') dirBonds.push({ begin, end, dir: sym === '/' ? 1 : 2 });
  };
  const addAtom = (atom: LexedAtom): void => {
    const idx = atoms.length;
    atoms.push(atom);
    if (prev >= 0) addBond(prev, idx, pendingBond);
    pendingBond = '';
    prev = idx;
  };
  while (i < smiles.length) {
    const ch = smiles.charAt(i);
    if (ch === '[') {
      const close = smiles.indexOf(']', i);
      const body = smiles.slice(i + 1, close < 0 ? smiles.length : close);
      const m = /^(\d*)([A-Z][a-z]?|[a-z][a-z]?|\*)/.exec(body);
      let sym = m?.[2] ?? '*';
      // "[Se]" vs "[se]" vs "[Sc]": take the two-letter symbol only when it is an element.
      if (sym.length === 2 && elementNumber(sym, table) === 0) sym = sym.charAt(0);
      addAtom({ atomicNum: sym === '*' ? 0 : elementNumber(sym, table), bracket: true });
      i = close < 0 ? smiles.length : close + 1;
      continue;
    }
    const two = smiles.slice(i, i + 2);
    if (two === 'Cl' || two === 'Br') {
      addAtom({ atomicNum: ORGANIC[two] ?? 0, bracket: false });
      i += 2;
      continue;
    }
    if (ORGANIC[ch] !== undefined || ch === '*') {
      addAtom({ atomicNum: ORGANIC[ch] ?? 0, bracket: false });
      i += 1;
      continue;
    }
    if ('-=#$:/\\~'.includes(ch)) {
      pendingBond = ch;
      i += 1;
      continue;
    }
    if (ch === '(') {
      stack.push(prev);
      i += 1;
      continue;
    }
    if (ch === ')') {
      prev = stack.pop() ?? prev;
      i += 1;
      continue;
    }
    if (ch === '.') {
      prev = -1;
      pendingBond = '';
      i += 1;
      continue;
    }
    if (ch === '%' || (ch >= '0' && ch <= '9')) {
      let label: string;
      if (ch === '%') {
        if (smiles.charAt(i + 1) === '(') {
          const close = smiles.indexOf(')', i);
          label = smiles.slice(i + 2, close);
          i = close + 1;
        } else {
          label = smiles.slice(i + 1, i + 3);
          i += 3;
        }
      } else {
        label = ch;
        i += 1;
      }
      const open = rings.get(label);
      if (open === undefined) {
        rings.set(label, { atom: prev, symbol: pendingBond });
      } else {
        rings.delete(label);
        // RDKit makes the closing atom the bond's begin; a direction written only at the opening
        // digit describes the bond from the other end, so it flips.
        let sym = pendingBond;
        if (sym !== '/' && sym !== '\\') {
          sym = open.symbol === '/' ? '\\' : open.symbol === '\\' ? '/' : open.symbol;
        }
        addBond(prev, open.atom, sym);
      }
      pendingBond = '';
      continue;
    }
    i += 1; // whitespace or anything RDKit ignored (e.g. a trailing name)
    if (ch === ' ' || ch === '\t') break;
  }
  return { atoms, dirBonds, bonds };
}
