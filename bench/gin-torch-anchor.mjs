// The PyTorch anchor of the GIN training-step benchmark: finds an interpreter with torch and runs
// bench/gin_torch.py on a batch file written by bench/gin-data.mjs. Nothing is installed: without
// torch, findTorchPython() returns null and the bench skips the anchor.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('gin_torch.py', import.meta.url));
const CANDIDATES = ['/usr/bin/python3', 'python3', 'python'];

/** The first candidate interpreter that can `import torch`, else null. */
export function findTorchPython(candidates = CANDIDATES) {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return python;
  }
  return null;
}

/**
 * Runs gin_torch.py and returns its JSON result (throws with its stderr on failure). `ompWaitPolicy`
 * ('PASSIVE' or 'ACTIVE') sets OMP_WAIT_POLICY for the run; left out, the caller's environment (by
 * default libgomp's spin-then-sleep) applies. On a shared 2-core machine, spinning OpenMP workers
 * make 2-thread runs erratic (up to 10× slower when other processes want the cores); PASSIVE is stable.
 */
export function runTorchAnchor({
  python,
  batchesFile,
  batchSize,
  steps = 20,
  warmup = 3,
  threads = 2,
  ompWaitPolicy,
}) {
  const args = [SCRIPT, '--batches', batchesFile, '--steps', String(steps), '--warmup', String(warmup)];
  args.push('--threads', String(threads), '--json');
  if (batchSize !== undefined) args.push('--batch-size', String(batchSize));
  let out;
  try {
    out = execFileSync(python, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
      // One BLAS pool size for the whole process, whatever the caller's environment says.
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(threads),
        OPENBLAS_NUM_THREADS: String(threads),
        MKL_NUM_THREADS: String(threads),
        ...(ompWaitPolicy ? { OMP_WAIT_POLICY: ompWaitPolicy } : {}),
      },
    });
  } catch (err) {
    const why = String(err.stderr || err.message || err).trim();
    throw new Error(`gin_torch.py failed (${python}): ${why.split('\n').slice(-5).join('\n')}`);
  }
  const line = out.trim().split('\n').pop();
  return JSON.parse(line);
}
