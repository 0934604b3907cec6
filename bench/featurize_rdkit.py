"""The Python RDKit anchor for bench/featurize.mjs: GROVER-preset featurization (151-d atoms,
14-d bonds, both bond directions, as grover/data/molgraph.py builds them) with python3-rdkit,
using the parity generator's feature code, into float32 numpy arrays.

    /usr/bin/python3 bench/featurize_rdkit.py SMILES_FILE N PROCESSES   -> one JSON line
"""
import json
import os
import sys
import time
from multiprocessing import Pool

import numpy as np
from rdkit import Chem, RDLogger

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "fixtures"))
import gen_parity as gp  # noqa: E402

RDLogger.DisableLog("rdApp.*")


def featurize(smiles):
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    atoms = np.asarray(gp.grover_atoms(mol), dtype=np.float32)
    bonds = []
    for bond in mol.GetBonds():
        vec = gp.bond_vector(bond)
        bonds.append(vec)
        bonds.append(vec)
    return atoms, np.asarray(bonds, dtype=np.float32).reshape(-1, gp.BOND_DIM)


def main():
    path, n, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    smiles = [line.split()[0] for line in open(path) if line.strip()][:n]
    start = time.perf_counter()
    if procs > 1:
        with Pool(procs) as pool:
            out = pool.map(featurize, smiles, chunksize=256)
    else:
        out = [featurize(s) for s in smiles]
    seconds = time.perf_counter() - start
    atoms = sum(a.shape[0] for a, _ in filter(None, out))
    print(json.dumps({"molecules": len(smiles), "atoms": atoms, "seconds": seconds, "processes": procs}))


if __name__ == "__main__":
    main()
