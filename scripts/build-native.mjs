// Builds molgrove's optional native kernel addon (build/Release/molgrove_native.node) with the node-gyp
// that npm bundles, against the Node headers of the local installation (never downloaded). It never
// fails an install: without a compiler, headers or Python, or when the build breaks, it prints one
// warning line and exits 0, and the tensor engine falls back to its wasm/JS kernels.
//
//   MOLGROVE_SKIP_NATIVE=1          skip the build
//   MOLGROVE_NATIVE_BLAS=openblas   link OpenBLAS (cblas_sgemm) when cblas.h and libopenblas are found
//   MOLGROVE_NATIVE_VERBOSE=1       show node-gyp's output
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.env.MOLGROVE_NATIVE_VERBOSE === '1';
const addonPath = join(root, 'build', 'Release', 'molgrove_native.node');

function skip(reason) {
  console.warn(`molgrove: native kernels not built (${reason}); the wasm/JS kernels will be used instead`);
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const binDir = dirname(process.execPath);
  candidates.push(
    join(binDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(binDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}

function findNodeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  candidates.push(resolve(dirname(process.execPath), '..'));
  return candidates.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h'))) ?? null;
}

function findOpenBlas() {
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';
  const pairs = [];
  if (process.env.OPENBLAS_HOME) {
    pairs.push([join(process.env.OPENBLAS_HOME, 'include'), join(process.env.OPENBLAS_HOME, 'lib')]);
  }
  for (const variant of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) {
    pairs.push([`/usr/include/${triplet}/${variant}`, `/usr/lib/${triplet}/${variant}`]);
  }
  pairs.push(
    ['/usr/include/openblas', `/usr/lib/${triplet}`],
    ['/usr/include/openblas', '/usr/lib64'],
    ['/usr/include', `/usr/lib/${triplet}`],
    ['/usr/include', '/usr/lib64'],
    ['/usr/include', '/usr/lib'],
    ['/usr/local/include', '/usr/local/lib'],
    ['/opt/homebrew/opt/openblas/include', '/opt/homebrew/opt/openblas/lib'],
    ['/usr/local/opt/openblas/include', '/usr/local/opt/openblas/lib'],
  );
  const libs = ['libopenblas.so', 'libopenblas.dylib', 'libopenblas.a'];
  for (const [inc, lib] of pairs) {
    if (existsSync(join(inc, 'cblas.h')) && libs.some((l) => existsSync(join(lib, l)))) return { inc, lib };
  }
  return null;
}

function lastErrorLine(output) {
  const lines = output.split('\n').map((l) => l.trim());
  const hit = lines.find((l) => /error:|fatal error|not found|No such file/i.test(l));
  return (hit ?? lines.filter((l) => l && !l.startsWith('gyp info')).at(-1) ?? '').slice(0, 200);
}

function gyp(nodeGyp, nodeDir, extra) {
  const args = [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '--jobs=max', ...extra];
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    env: { ...process.env, npm_config_nodedir: nodeDir },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0 && existsSync(addonPath), output };
}

function main() {
  if (process.env.MOLGROVE_SKIP_NATIVE === '1') {
    console.log('molgrove: MOLGROVE_SKIP_NATIVE=1, native kernels skipped');
    return;
  }
  if (!existsSync(join(root, 'binding.gyp'))) skip('binding.gyp is missing');
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) skip("npm's bundled node-gyp was not found");
  const nodeDir = findNodeDir();
  if (!nodeDir)
    skip('the Node headers (include/node/node_api.h) were not found next to this Node installation');

  let blasArgs = [];
  let blasNote = '';
  if (process.env.MOLGROVE_NATIVE_BLAS === 'openblas') {
    const found = findOpenBlas();
    if (found) {
      blasArgs = [
        '--molgrove_blas=openblas',
        `--molgrove_blas_include=${found.inc}`,
        `--molgrove_blas_libdir=${found.lib}`,
      ];
    } else {
      blasNote = ' (MOLGROVE_NATIVE_BLAS=openblas ignored: cblas.h/libopenblas not found)';
    }
  }

  let result = gyp(nodeGyp, nodeDir, blasArgs);
  if (!result.ok && blasArgs.length > 0) {
    blasNote = ` (OpenBLAS build failed: ${lastErrorLine(result.output)}; built without it)`;
    blasArgs = [];
    result = gyp(nodeGyp, nodeDir, []);
  }
  try {
    mkdirSync(join(root, 'build'), { recursive: true });
    writeFileSync(join(root, 'build', 'molgrove-native-build.log'), result.output);
  } catch {
    // the log is a convenience only
  }
  if (!result.ok) skip(`build failed: ${lastErrorLine(result.output)}; see build/molgrove-native-build.log`);

  // Load it once in a child process so a broken binary is reported here rather than at first use.
  const probe = spawnSync(
    process.execPath,
    ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).info()))`],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) skip(`the built addon does not load: ${lastErrorLine(probe.stderr ?? '')}`);
  console.log(
    `molgrove: native kernels built (build/Release/molgrove_native.node, ${probe.stdout.trim()})${blasNote}`,
  );
}

try {
  main();
} catch (err) {
  skip(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
}
