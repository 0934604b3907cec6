/** Locating the repo and the shared data mirror from compiled tests (dist/test/...). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/helpers → ../../../). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `$MOLGROVE_DATA_DIR` (relative to the repo root) or `<repo>/../shared/data`. */
export const SHARED_DATA_DIR = resolve(REPO_ROOT, process.env['MOLGROVE_DATA_DIR'] ?? '../shared/data');

/** Skip reason for tests that need the mirror, or false when it is present. */
export const NO_SHARED_DATA: string | false = existsSync(SHARED_DATA_DIR)
  ? false
  : `shared data mirror not found at ${SHARED_DATA_DIR}`;
