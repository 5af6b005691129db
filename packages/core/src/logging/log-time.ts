let lastMs = -1;
let lastTime = "";

/** pino's `,"time":"<ISO>"` for a time in ms, formatted once per millisecond: a burst logs thousands of lines in one. */
export function isoTimeAt(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastTime = `,"time":"${new Date(ms).toISOString()}"`;
  }
  return lastTime;
}

/** pino's isoTime, as isoTimeAt of now. */
export function isoTimeCached(): string {
  return isoTimeAt(Date.now());
}
