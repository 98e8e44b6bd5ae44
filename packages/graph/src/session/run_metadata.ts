// Per-op step statistics of one run, exportable as Chrome trace JSON (viewable in Perfetto).

export interface NodeStats {
  nodeName: string;
  opType: string;
  /** Start time in microseconds since the run began. */
  startMicros: number;
  durationMicros: number;
  outputShapes: number[][];
  /** Bytes held by the op's outputs. */
  outputBytes: number;
}

/** Pass one in `RunOptions.runMetadata`; `run` fills `stepStats` with one entry per executed op. */
export class RunMetadata {
  stepStats: NodeStats[] = [];

  /** Chrome trace event format: one complete ('X') event per op. */
  toChromeTrace(): string {
    const events = this.stepStats.map((s) => ({
      name: s.nodeName,
      cat: s.opType,
      ph: 'X',
      ts: s.startMicros,
      dur: s.durationMicros,
      pid: 1,
      tid: 1,
      args: { op: s.opType, outputShapes: s.outputShapes, outputBytes: s.outputBytes },
    }));
    return JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms' });
  }
}
