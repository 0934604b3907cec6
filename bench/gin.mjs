// The engine's yardstick: a Hu et al. GIN training step (Tox21, batch 32 and 256) in molgrove and in
// PyTorch on the same molecules, same threads, in one invocation. Each measurement runs in its own
// process so its peak RSS is its own. Prints a table of ratios (molgrove ÷ PyTorch; < 1 = faster);
// with --json, {"bs32": {"molgrove_ms","torch_ms","ratio"}, "bs256": {...}, "peak_rss_mb": {...}, ...}.
// Usage: npm run build && node bench/gin.mjs [--steps 20] [--threads 2] [--backends native,wasm,js] [--unfused] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGinBatches, writeBatchesFile } from './gin-data.mjs';
import { findTorchPython, runTorchAnchor } from './gin-torch-anchor.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const json = process.argv.includes('--json');
// --unfused: messages materialized edge by edge (gather, add, scatter) as PyG/Hu's code does, instead
// of the fused gather-scatter; the model and its numbers are the same, only the op sequence differs.
const unfused = process.argv.includes('--unfused');
const steps = Number(arg('steps', '20'));
const warmup = Number(arg('warmup', '3'));
const threads = Number(arg('threads', '2'));
const backends = arg('backends', 'native,wasm,js').split(',');
// The JS backend is ~100× slower than native: time it on fewer steps.
const jsSteps = Number(arg('js-steps', '3'));
const log = (...a) => {
  if (!json) console.log(...a);
};

const CHILD = fileURLToPath(new URL('gin-molgrove.mjs', import.meta.url));

function runMolgrove(backend, file, nSteps) {
  try {
    const out = execFileSync(
      process.execPath,
      [
        CHILD,
        '--batches',
        file,
        '--steps',
        String(nSteps),
        '--warmup',
        String(Math.min(warmup, nSteps)),
        ...(unfused ? ['--unfused'] : []),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MOLGROVE_BACKEND: backend, MOLGROVE_THREADS: String(threads) },
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    const why = String(err.stderr || err.message)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    return { error: why };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'molgrove-gin-'));
const result = { threads, steps, backends: {}, peak_rss_mb: {} };
try {
  const files = {};
  for (const bs of [32, 256]) {
    const batches = await loadGinBatches({ batchSize: bs, numBatches: bs === 32 ? 20 : 10, seed: 0 });
    files[bs] = writeBatchesFile(batches, join(dir, `bs${bs}.bin`));
    const atoms = batches.reduce((s, b) => s + b.numAtoms, 0) / batches.length;
    log(`batch ${bs}: ${batches.length} Tox21 batches, ${atoms.toFixed(0)} atoms per batch on average`);
  }
  const python = findTorchPython();
  if (!python)
    log('PyTorch anchor skipped: no Python interpreter here can `import torch` (nothing is installed).');
  const torch = {};
  for (const bs of [32, 256]) {
    if (!python) continue;
    // PyTorch's OpenMP threads spin while idle by default, which can hurt on a 2-core machine; the
    // anchor is PyTorch's better run of the default and OMP_WAIT_POLICY=PASSIVE (the harder target).
    const policies = threads > 1 ? [undefined, 'PASSIVE'] : [undefined];
    for (const ompWaitPolicy of policies) {
      const r = runTorchAnchor({
        python,
        batchesFile: files[bs],
        batchSize: bs,
        steps,
        warmup,
        threads,
        ompWaitPolicy,
      });
      if (!torch[bs] || r.ms_per_step_median < torch[bs].ms_per_step_median) torch[bs] = r;
    }
  }
  log(
    `model: ${unfused ? 'unfused messages (gather, add, scatter per edge)' : 'fused gather-scatter aggregation'}`,
  );
  log(
    `\nGIN training step (5×300, edge embeddings, BN, dropout 0.2, mean pool, 12-task BCE, Adam), ${threads} threads`,
  );
  log('backend   batch   molgrove ms   torch ms   ratio   fwd ms (mg/torch)   peak RSS MB (mg/torch)');
  for (const backend of backends) {
    result.backends[backend] = {};
    for (const bs of [32, 256]) {
      const r = runMolgrove(backend, files[bs], backend === 'js' ? jsSteps : steps);
      const t = torch[bs];
      if (r.error || r.backend !== backend) {
        log(
          `${backend.padEnd(8)}  ${String(bs).padStart(5)}   unavailable: ${r.error ?? `ran on ${r.backend}`}`,
        );
        result.backends[backend][`bs${bs}`] = { error: r.error ?? `ran on ${r.backend}` };
        continue;
      }
      const entry = {
        molgrove_ms: r.ms_per_step_median,
        torch_ms: t?.ms_per_step_median ?? null,
        ratio: t ? r.ms_per_step_median / t.ms_per_step_median : null,
        molgrove_fwd_ms: r.fwd_ms_median,
        torch_fwd_ms: t?.fwd_ms_median ?? null,
        molgrove_peak_rss_mb: r.peak_rss_mb,
        torch_peak_rss_mb: t?.peak_rss_mb ?? null,
      };
      result.backends[backend][`bs${bs}`] = entry;
      const f = (v, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));
      log(
        `${backend.padEnd(8)}  ${String(bs).padStart(5)}   ${f(entry.molgrove_ms).padStart(11)}   ${f(entry.torch_ms).padStart(8)}   ` +
          `${f(entry.ratio, 2).padStart(5)}   ${`${f(entry.molgrove_fwd_ms)}/${f(entry.torch_fwd_ms)}`.padStart(17)}   ` +
          `${`${f(entry.molgrove_peak_rss_mb, 0)}/${f(entry.torch_peak_rss_mb, 0)}`.padStart(22)}`,
      );
    }
  }
  // The headline is the first backend that ran (the automatic choice order: native, wasm, js).
  const best = backends.find((b) => result.backends[b]?.bs32?.molgrove_ms !== undefined);
  for (const bs of [32, 256]) {
    const e = best ? result.backends[best][`bs${bs}`] : null;
    result[`bs${bs}`] = {
      backend: best ?? null,
      molgrove_ms: e?.molgrove_ms ?? null,
      torch_ms: e?.torch_ms ?? null,
      ratio: e?.ratio ?? null,
    };
    result.peak_rss_mb[`bs${bs}`] = {
      molgrove: e?.molgrove_peak_rss_mb ?? null,
      torch: e?.torch_peak_rss_mb ?? null,
    };
  }
  result.torch_version = torch[32]?.torch_version ?? null;
  result.torch_omp_wait_policy = {
    bs32: torch[32]?.omp_wait_policy ?? null,
    bs256: torch[256]?.omp_wait_policy ?? null,
  };
  if (json) console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
