/**
 * Progress bars for the CLI, always on stderr so stdout stays clean for data (--json, CSV).
 * A bar appears only after the work has run for a second and only when stderr is a terminal
 * (or MOLGROVE_PROGRESS=1), so short commands and logs stay quiet.
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(label: string, total: number): Progress {
  const enabled = process.stderr.isTTY || process.env['MOLGROVE_PROGRESS'] === '1';
  const started = Date.now();
  let bar: SingleBar | undefined;
  return {
    update(done, payload = {}) {
      if (!enabled) return;
      if (!bar && Date.now() - started > 1000) {
        bar = new SingleBar({
          stream: process.stderr,
          format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | eta {eta}s`,
          hideCursor: true,
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 2000,
        });
        bar.start(total, 0, { rate: '0' });
      }
      if (bar) {
        const secs = Math.max((Date.now() - started) / 1000, 1e-3);
        bar.update(done, { rate: (done / secs).toFixed(0), ...payload });
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
