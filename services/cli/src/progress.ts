import cliProgress from "cli-progress";

/** A progress display on stderr: a bar on a terminal, a line every 10% otherwise (logs stay readable). */
export interface Progress {
  tick(): void;
  stop(): void;
}

/** Shows progress when there are at least `minItems` items. */
export function createProgress(total: number, label: string, minItems = 5): Progress {
  if (total < minItems) return { tick: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { tick: () => bar.increment(), stop: () => bar.stop() };
  }
  let done = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    tick: () => {
      done++;
      if (done % step === 0 || done === total) process.stderr.write(`${label}: ${done}/${total}\n`);
    },
    stop: () => undefined,
  };
}
