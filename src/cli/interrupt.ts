/**
 * Ctrl-C for long commands (finetune, pretrain, study run, worker): the first signal aborts `fn`'s
 * signal, so the work stops cleanly (checkpoint, requeue) and says so; a second one quits at once
 * with exit 130, the last checkpoint staying.
 */
export async function runWithInterrupt<T>(
  /** What stopping cleanly means, printed on the first signal. */
  stopping: string,
  fn: (signal: AbortSignal) => Promise<T>,
  signals: readonly NodeJS.Signals[] = ['SIGINT'],
): Promise<T> {
  const ac = new AbortController();
  const onSignal = (): void => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write(`\n${stopping} (again to quit at once)\n`);
    ac.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
