import type { StoredMachineAction } from '../store/actions/machine-action-repository.js';

/**
 * The progress of `mdec action ... --wait`: on a terminal one line, redrawn in place, with the status
 * and the time waited; elsewhere (a pipe, CI) a plain line on stderr each time the status changes.
 */
export function actionProgress(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let last: string | undefined;
  return {
    status(action: StoredMachineAction): void {
      const what = `action ${action.id} (${action.action} on ${action.hostName ?? action.machineId})`;
      if (tty) {
        const seconds = Math.round((Date.now() - started) / 1000);
        const waited = seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
        stream.write(`\r\x1b[2K${what}: ${action.status}, waited ${waited}`);
      } else if (action.status !== last) {
        stream.write(`${what}: ${action.status}\n`);
      }
      last = action.status;
    },
    end(): void {
      if (tty && last !== undefined) stream.write('\n');
    },
  };
}
