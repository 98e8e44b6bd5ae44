// Per-op step statistics of one run, exportable as Chrome trace JSON (chrome://tracing, Perfetto).
import type * as tfc from '@tensorflow/tfjs-core';
import type { Operation } from '../graph.js';
import type { KernelResult } from '../op_def.js';

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

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Pass one in `RunOptions.runMetadata`; `run` appends one `stepStats` entry per executed op. */
export class RunMetadata {
  stepStats: NodeStats[] = [];

  /** @internal called by the run loop after each kernel */
  record(
    op: Operation,
    result: KernelResult,
    startMs: number,
    durationMs: number,
    label: { name: string; type: string } = op,
  ): void {
    const outs = result === undefined ? [] : Array.isArray(result) ? result : [result];
    const real = outs.filter((o): o is tfc.Tensor => o !== undefined);
    this.stepStats.push({
      nodeName: label.name,
      opType: label.type,
      startMicros: Math.round(startMs * 1000),
      durationMicros: Math.round(durationMs * 1000),
      outputShapes: real.map((o) => o.shape.slice()),
      outputBytes: real.reduce((n, o) => n + bytesOf(o), 0),
    });
  }

  /** Chrome trace event format: one complete ('X') event per op, on one thread. */
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
    const thread = { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'Session.run' } };
    return JSON.stringify({ traceEvents: [thread, ...events], displayTimeUnit: 'ms' });
  }
}

function bytesOf(t: tfc.Tensor): number {
  if (t.dtype !== 'string') return t.size * (BYTES[t.dtype] ?? 4);
  // Strings: the UTF-8 bytes of each element.
  const data = t.dataSync() as unknown;
  return Array.isArray(data) ? data.reduce((n: number, s: string) => n + Buffer.byteLength(s), 0) : 0;
}
