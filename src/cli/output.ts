/** How verbs print data: JSON for machines (--json), aligned text tables for people. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  for (const r of cells) {
    process.stdout.write(
      `${r
        .map((v, c) => v.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
