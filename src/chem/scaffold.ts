/**
 * Bemis–Murcko scaffolds exactly as RDKit's MurckoScaffold.MurckoScaffoldSmiles computes them
 * (ChemTransforms MurckoDecompose): keep ring atoms and the atoms on paths between rings, keep
 * atoms double-bonded to those, drop the rest, then fix hydrogens on atoms that lost a neighbour
 * the way RDKit does. The scaffold is rebuilt in RDKit (from JSON) to get its canonical SMILES.
 * `includeChirality: true` is Hu et al.'s key, `false` GROVER's/chemprop's.
 */
import { type PerceivedMol, perceive } from './perception.js';
import {
  type MolRecord,
  type MolView,
  setLegacyStereo,
  withMol,
  withMolFromJson,
  withMolFromSmilesText,
} from './rdkit.js';

export interface ScaffoldOptions {
  readonly includeChirality: boolean;
}

/** Which atoms RDKit's MurckoDecompose keeps: ring atoms and atoms between two ring-bearing branches. */
function keptAtoms(record: MolRecord, mol: PerceivedMol): Uint8Array {
  const n = record.atoms.length;
  const keep = new Uint8Array(n);
  for (const ring of record.atomRings) for (const a of ring) keep[a] = 1;
  const neighbours = (a: number): number[] =>
    (mol.atomBonds[a] ?? []).map((bi) => {
      const b = mol.bonds[bi]!;
      return b.begin === a ? b.end : b.begin;
    });
  const branchHasRing = (from: number, blocked: number): boolean => {
    const seen = new Uint8Array(n);
    seen[blocked] = 1;
    seen[from] = 1;
    const stack = [from];
    while (stack.length) {
      const a = stack.pop()!;
      if (mol.atoms[a]!.inRing) return true;
      for (const nb of neighbours(a)) {
        if (!seen[nb]) {
          seen[nb] = 1;
          stack.push(nb);
        }
      }
    }
    return false;
  };
  if (record.atomRings.length < 2) return keep;
  for (let a = 0; a < n; a++) {
    if (keep[a]) continue;
    let ringBranches = 0;
    for (const nb of neighbours(a)) if (branchHasRing(nb, a)) ringBranches++;
    // Every bond of a non-ring atom is a bridge, so it lies on a path between two rings exactly
    // when two of its branches reach ring atoms.
    if (ringBranches >= 2) keep[a] = 1;
  }
  return keep;
}

/** The scaffold's canonical SMILES ('' for a molecule without rings). */
export function murckoScaffold(view: MolView, smiles: string, opts: ScaffoldOptions): string {
  const record = view.record();
  if (record.atomRings.length === 0) return '';
  const mol = perceive(record, smiles);
  const n = record.atoms.length;
  const keep = keptAtoms(record, mol);
  const inScaffold = Uint8Array.from(keep);
  // Per-atom hydrogen bookkeeping, mirroring RDKit's fix-ups on neighbours of removed atoms.
  const explicitSet = new Int8Array(n).fill(-1); // RDKit's setNumExplicitHs(1) on aromatic atoms
  // RDKit clears noImplicit and chirality on bracket/chiral neighbours; their Hs are then recomputed
  // from valence, which for these atoms gives the same count as for plain ones (below).
  const reset = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    if (keep[a]) continue;
    let removeIt = true;
    for (const bi of mol.atomBonds[a] ?? []) {
      const b = mol.bonds[bi]!;
      const nb = b.begin === a ? b.end : b.begin;
      if (!keep[nb]) continue;
      const nbAtom = mol.atoms[nb]!;
      if (b.type === 'DOUBLE') {
        removeIt = false;
        break;
      }
      if (nbAtom.aromatic && (nbAtom.atomicNum !== 6 || nbAtom.formalCharge === 1)) explicitSet[nb] = 1;
      else reset[nb] = 1;
    }
    if (!removeIt) inScaffold[a] = 1;
  }

  const newIndex = new Int32Array(n).fill(-1);
  let count = 0;
  for (let a = 0; a < n; a++) if (inScaffold[a]) newIndex[a] = count++;
  const lostOrder = new Float64Array(n);
  record.bonds.forEach((b) => {
    if (inScaffold[b.begin] && !inScaffold[b.end]) lostOrder[b.begin] = lostOrder[b.begin]! + b.kekuleOrder;
    if (inScaffold[b.end] && !inScaffold[b.begin]) lostOrder[b.end] = lostOrder[b.end]! + b.kekuleOrder;
  });

  const CHIRAL = ['unspecified', 'cw', 'ccw', 'other'] as const;
  const atoms: { z: number; impHs: number; chg: number; nRad: number; isotope: number; stereo: string }[] =
    [];
  for (let a = 0; a < n; a++) {
    if (!inScaffold[a]) continue;
    const src = record.atoms[a]!;
    // Bracket atoms RDKit left alone keep their written H count; others are recomputed, which
    // adds back one H per bond order lost.
    const untouched = mol.atoms[a]!.noImplicit && !reset[a];
    const hs = explicitSet[a] === 1 ? 1 : untouched ? src.totalHs : src.totalHs + lostOrder[a]!;
    const chiral = reset[a] || !opts.includeChirality ? 0 : src.chiralTag;
    atoms.push({
      z: src.atomicNum,
      impHs: hs,
      chg: src.formalCharge,
      nRad: src.radicals,
      isotope: src.isotope,
      stereo: CHIRAL[chiral],
    });
  }
  // Legacy stereo references, per double-bond end: the first neighbour bonded with '/' or '\'
  // (those bonds keep a direction after parsing). RDKit drops the stereo when it removes one.
  const lostStereoAtom = (bi: number): boolean => {
    const b = mol.bonds[bi]!;
    for (const end of [b.begin, b.end]) {
      const first = (mol.atomBonds[end] ?? []).find((obi) => obi !== bi && mol.bonds[obi]!.dir !== 0);
      if (first === undefined) continue;
      const ob = mol.bonds[first]!;
      if (!inScaffold[ob.begin === end ? ob.end : ob.begin]) return true;
    }
    return false;
  };
  // Re-expresses cis/trans when MinimalLib's reference atom on one end was removed: the other
  // neighbour on that end is on the opposite side, so the label flips.
  const otherNeighbour = (end: number, partner: number, removed: number): number | undefined => {
    for (const obi of mol.atomBonds[end] ?? []) {
      const ob = mol.bonds[obi]!;
      const nb = ob.begin === end ? ob.end : ob.begin;
      if (nb !== partner && nb !== removed && inScaffold[nb]) return nb;
    }
    return undefined;
  };
  const bonds: { bo: number; atoms: [number, number]; stereo?: string; stereoAtoms?: [number, number] }[] =
    [];
  for (const [bi, b] of record.bonds.entries()) {
    if (!inScaffold[b.begin] || !inScaffold[b.end]) continue;
    const bond: { bo: number; atoms: [number, number]; stereo?: string; stereoAtoms?: [number, number] } = {
      bo: b.kekuleOrder,
      atoms: [newIndex[b.begin]!, newIndex[b.end]!],
    };
    const sa = b.stereoAtoms;
    if (opts.includeChirality && (b.stereo === 'cis' || b.stereo === 'trans') && sa && !lostStereoAtom(bi)) {
      let trans = b.stereo === 'trans';
      const refs: (number | undefined)[] = [sa[0], sa[1]];
      [b.begin, b.end].forEach((end, side) => {
        const ref = refs[side]!;
        if (inScaffold[ref]) return;
        refs[side] = otherNeighbour(end, side === 0 ? b.end : b.begin, ref);
        trans = !trans;
      });
      if (refs[0] !== undefined && refs[1] !== undefined) {
        bond.stereo = trans ? 'trans' : 'cis';
        bond.stereoAtoms = [newIndex[refs[0]]!, newIndex[refs[1]]!];
      }
    }
    bonds.push(bond);
  }
  const toJson = () =>
    JSON.stringify({
      rdkitjson: { version: 11 },
      defaults: {
        atom: { z: 6, impHs: 0, chg: 0, nRad: 0, isotope: 0, stereo: 'unspecified' },
        bond: { bo: 1, stereo: 'unspecified' },
      },
      molecules: [{ atoms, bonds }],
    });
  if (!opts.includeChirality) return withMolFromJson(toJson(), (m) => m.canonicalSmiles(false));
  // RDKit 2022's legacy perception kept a chiral N only when its neighbours rank differently (no
  // ring-pair N stereo, which RDKit 2026 keeps): clear the others, judged on the scaffold itself.
  const chiralN = atoms.some((a) => a.z === 7 && a.stereo !== 'unspecified');
  if (chiralN) {
    const scaffold = withMolFromJson(toJson(), (m) => m.record());
    const nbrs: number[][] = scaffold.atoms.map(() => []);
    for (const b of scaffold.bonds) {
      nbrs[b.begin]?.push(b.end);
      nbrs[b.end]?.push(b.begin);
    }
    atoms.forEach((a, i) => {
      if (a.z !== 7 || a.stereo === 'unspecified') return;
      const ranks = (nbrs[i] ?? []).map((j) => scaffold.cipRanks[j]);
      if (new Set(ranks).size < ranks.length) a.stereo = 'unspecified';
    });
  }
  const json = toJson();
  // Legacy stereo perception ignores cis/trans given without bond directions; read the JSON with
  // the modern perception, then canonicalize the SMILES under legacy rules like everything else.
  const isomeric = setLegacyStereo(false, () => withMolFromJson(json, (m) => m.canonicalSmiles(true)));
  return withMolFromSmilesText(isomeric, (m) => m.canonicalSmiles(true));
}

/** RDKit's MurckoScaffoldSmiles(smiles, includeChirality). Throws InvalidSmilesError. */
export function scaffoldSmiles(
  smiles: string,
  opts: ScaffoldOptions,
  where?: { row?: number; source?: string },
) {
  return withMol(smiles, (view) => murckoScaffold(view, smiles, opts), where);
}
