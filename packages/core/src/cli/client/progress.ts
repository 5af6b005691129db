import { SingleBar } from "cli-progress";
import type { JobRecord } from "../../jobs/job.js";

/** Shows a job's progress: a bar on a terminal, one line per step otherwise. */
export function progressReporter(write: (text: string) => void, tty: boolean): { update(job: JobRecord): void; stop(): void } {
  let bar: SingleBar | undefined;
  let lastLine = "";
  return {
    update(job) {
      const { current, total, unit, message } = job.progress;
      if (tty && total !== undefined && total > 0) {
        if (bar === undefined) {
          bar = new SingleBar({
            format: `${job.kind} [{bar}] {percentage}% | {value}/{total} {unit} | {message}`,
            hideCursor: true,
            stream: process.stderr,
          });
          bar.start(total, current, { unit, message });
        }
        bar.setTotal(total);
        bar.update(current, { unit, message });
        return;
      }
      const amount = total === undefined ? "" : ` ${current}/${total} ${unit}`;
      const line = `${job.kind} ${job.state}${amount}: ${message}`;
      if (line !== lastLine) write(`${line}\n`);
      lastLine = line;
    },
    stop() {
      bar?.stop();
    },
  };
}
