/** `molgrove datasets`: the dataset registry and where each file would be read from. */
import type { Command } from 'commander';
import { describeSource } from '../data/fetch.js';
import { type DatasetGroup, listDatasets } from '../data/registry.js';
import { ConfigError } from '../errors.js';
import { printJson, printTable } from './output.js';

const GROUPS: readonly DatasetGroup[] = ['moleculenet', 'grover', 'pretrain'];

interface DatasetsOptions {
  json?: boolean;
  group?: string;
}

export function registerDatasets(program: Command): void {
  program
    .command('datasets')
    .description('List the registered datasets: task type, #tasks, rows, metric and where each is read from')
    .option('--json', 'print a JSON array (every registry field plus the resolved source) instead of a table')
    .option('--group <group>', `only one group: ${GROUPS.join(', ')}`)
    .addHelpText(
      'after',
      '\nSources are tried in order: the mirror $MOLGROVE_DATA_DIR/<file> (checksum verified), the cache\n' +
        '$MOLGROVE_CACHE_DIR (default ~/.cache/molgrove/datasets), then a verified download of the URL\n' +
        '(forbidden when MOLGROVE_OFFLINE=1). Nothing is read or downloaded by this command.',
    )
    .action((opts: DatasetsOptions) => {
      runDatasets(opts);
    });
}

function runDatasets(opts: DatasetsOptions): void {
  if (opts.group !== undefined && !(GROUPS as readonly string[]).includes(opts.group)) {
    throw new ConfigError(`unknown dataset group '${opts.group}'; choose one of: ${GROUPS.join(', ')}`);
  }
  const specs = listDatasets().filter((s) => opts.group === undefined || s.group === opts.group);
  if (opts.json) {
    printJson(
      specs.map((s) => ({
        name: s.name,
        aliases: s.aliases,
        group: s.group,
        taskType: s.taskType,
        tasks: s.taskColumns.length,
        rows: s.rows,
        metric: s.metric,
        smilesColumn: s.smilesColumn,
        taskColumns: s.taskColumns,
        file: s.file,
        url: s.url,
        sha256: s.sha256,
        ...(s.compression !== undefined ? { compression: s.compression } : {}),
        description: s.description,
        source: describeSource(s),
      })),
    );
    return;
  }
  printTable(
    ['name', 'aliases', 'task type', 'tasks', 'rows', 'metric', 'source'],
    specs.map((s) => {
      const src = describeSource(s);
      return [
        s.name,
        s.aliases.join(',') || '-',
        s.taskType,
        s.taskColumns.length,
        s.rows,
        s.metric ?? '-',
        src.kind === 'download' ? `download ${src.url}` : `${src.kind} ${src.path}`,
      ];
    }),
  );
}
