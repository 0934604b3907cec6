// Featurization throughput, molgrove vs Python RDKit (the GROVER preset), side by side in one run.
// Usage: npm run build && node bench/featurize.mjs [N=5000] [smiles file]
// The anchor needs Debian's python3-rdkit (/usr/bin/python3); without it only molgrove is timed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { featurizeAll } from '../dist/src/data/featurize.js';

const n = Number(process.argv[2] ?? 5000);
const dataDir = process.env.MOLGROVE_DATA_DIR ?? new URL('../../shared/data', import.meta.url).pathname;
const file = process.argv[3] ?? `${dataDir}/pretrain/chembl24_guacamol_v1_valid.smi`;
const smiles = readFileSync(file, 'utf8')
  .split('\n')
  .map((l) => l.trim().split(/\s+/)[0])
  .filter(Boolean)
  .slice(0, n);
const cores = availableParallelism();

async function molgrove(threads) {
  const t0 = performance.now();
  const ds = await featurizeAll(smiles, 'grover', { threads, skipInvalid: true, parallelThreshold: 0 });
  const seconds = (performance.now() - t0) / 1000;
  return { molecules: smiles.length, atoms: ds.numAtoms, seconds };
}

function python(procs) {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [new URL('featurize_rdkit.py', import.meta.url).pathname, file, String(n), String(procs)],
      {
        encoding: 'utf8',
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] };
  }
}

const rows = [];
for (const threads of [1, cores]) {
  const m = await molgrove(threads);
  const p = python(threads);
  const mRate = m.molecules / m.seconds;
  const pRate = p.error ? Number.NaN : p.molecules / p.seconds;
  rows.push({
    threads,
    molgrove: mRate,
    rdkit: pRate,
    ratio: mRate / pRate,
    atomsMatch: p.error ? null : p.atoms === m.atoms,
  });
}
console.log(
  `featurization, GROVER preset (151-d atoms, 14-d bonds), ${n} molecules of ${file.split('/').pop()}`,
);
console.log('threads  molgrove mol/s  python-rdkit mol/s  molgrove/rdkit  same atom count');
for (const r of rows) {
  console.log(
    `${String(r.threads).padEnd(7)}  ${r.molgrove.toFixed(0).padStart(14)}  ${r.rdkit.toFixed(0).padStart(18)}  ${r.ratio.toFixed(2).padStart(14)}  ${r.atomsMatch}`,
  );
}
