// TensorBoard event files: `<logdir>/events.out.tfevents.<secs>.<hostname>`, a TFRecord stream of
// Event protos whose first record is `file_version: "brain.Event:2"`. Writes are queued in memory
// and appended in order on `flush()` (also when `maxQueue` events are pending and every
// `flushSecs`), so adding an event never blocks; I/O errors surface on the next flush/close.
// A batch that fails to write stays queued for the next flush; if the event file disappeared
// (its directory deleted and re-created), it is started again with its header, as TF's
// EventsWriter does.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkOptions, encodeGraphDef, type Graph, NDArray, ValueError } from '@graphmode/graph';
import {
  decodeEvent,
  type EventProto,
  encodeEvent,
  latin1ToBytes,
  type SessionLogProto,
  type SummaryProto,
} from './event_proto.js';
import { decodeRecords, encodeRecord } from './tfrecord.js';

/**
 * What `addSummary` accepts: a Summary object, serialized Summary bytes, a string holding those
 * bytes one char per byte (latin1, how summary ops' string tensors carry them), or a fetched
 * string NDArray of such strings (several serialized Summaries concatenate into one, as protobuf
 * merges repeated fields).
 */
export type SummaryInput = SummaryProto | Uint8Array | string | NDArray;

export interface FileWriterOptions {
  /** Pending events that trigger a background write (TF's `max_queue`). */
  maxQueue?: number;
  /** Seconds between background writes (TF's `flush_secs`). */
  flushSecs?: number;
  filenameSuffix?: string;
}

// Two writers opened in the same second in one directory would otherwise share a file name.
const claimedPaths = new Set<string>();

/**
 * Writes Summary protocol buffers to event files for TensorBoard.
 * @example
 * const writer = new FileWriter('/tmp/logs', graph);
 * writer.addSummary(sess.run(summary.mergeAll()!), step);
 * await writer.close();
 */
export class FileWriter {
  readonly logdir: string;
  /** The event file this writer appends to. */
  readonly path: string;
  private queue: Uint8Array[] = [];
  private chain: Promise<void>;
  private error: unknown = null;
  private closed = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly maxQueue: number;
  private readonly seenPluginTags = new Set<string>();
  /** Whether the file has been created (so a missing file means it was removed). */
  private created = false;

  constructor(logdir: string, graph?: Graph, opts: FileWriterOptions = {}) {
    checkOptions('FileWriter', opts, { maxQueue: 'number', flushSecs: 'number', filenameSuffix: 'string' });
    this.logdir = logdir;
    this.maxQueue = opts.maxQueue ?? 10;
    const stem = `events.out.tfevents.${String(Math.floor(Date.now() / 1000)).padStart(10, '0')}.${hostname()}`;
    let path = join(logdir, stem + (opts.filenameSuffix ?? ''));
    for (let i = 1; claimedPaths.has(path); i++)
      path = join(logdir, `${stem}.${i}${opts.filenameSuffix ?? ''}`);
    claimedPaths.add(path);
    this.path = path;
    this.chain = this.guard(mkdir(logdir, { recursive: true }).then(() => undefined));
    this.queue.push(fileVersionRecord());
    this.startTimer(opts.flushSecs ?? 120);
    if (graph) this.addGraph(graph);
  }

  getLogdir(): string {
    return this.logdir;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues one Event (wall time defaults to now). */
  addEvent(event: Omit<EventProto, 'wallTime'> & { wallTime?: number }): void {
    if (this.closed) throw new ValueError(`FileWriter for '${this.logdir}' is closed; call reopen() first`);
    this.queue.push(encodeRecord(encodeEvent({ ...event, wallTime: event.wallTime ?? Date.now() / 1000 })));
    if (this.queue.length >= this.maxQueue) this.startWrite();
  }

  /** Queues a Summary at `globalStep` (see `SummaryInput` for the accepted forms). */
  addSummary(summary: SummaryInput, globalStep?: number): void {
    const step = globalStep === undefined ? {} : { step: globalStep };
    if (summary instanceof Uint8Array || typeof summary === 'string' || summary instanceof NDArray) {
      this.addEvent({ summary: summaryBytes(summary), ...step });
      return;
    }
    // As TF does, plugin metadata is written only with the first value of each tag.
    const value = summary.value.map((v) => {
      if (v.metadata === undefined) return v;
      if (this.seenPluginTags.has(v.tag)) {
        const { metadata: _, ...rest } = v;
        return rest;
      }
      this.seenPluginTags.add(v.tag);
      return v;
    });
    this.addEvent({ summary: { value }, ...step });
  }

  /** Queues the graph as a GraphDef event (TensorBoard's graph dashboard). */
  addGraph(graph: Graph, globalStep?: number): void {
    this.addEvent({
      graphDef: encodeGraphDef(graph, { functionsByName: true }),
      ...(globalStep === undefined ? {} : { step: globalStep }),
    });
  }

  addSessionLog(sessionLog: SessionLogProto, globalStep?: number): void {
    this.addEvent({ sessionLog, ...(globalStep === undefined ? {} : { step: globalStep }) });
  }

  /** Writes every queued event to disk. */
  async flush(): Promise<void> {
    this.startWrite();
    await this.chain;
    if (this.error !== null) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }

  /** Flushes and stops the writer; `addSummary` afterwards throws until `reopen()`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Lets a closed writer accept events again, appending to the same file. */
  reopen(): void {
    if (!this.closed) return;
    this.closed = false;
    this.startTimer(120);
  }

  private startTimer(flushSecs: number): void {
    if (!(flushSecs > 0)) return;
    this.timer = setInterval(() => this.startWrite(), flushSecs * 1000);
    this.timer.unref();
  }

  private startWrite(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.chain = this.chain.then(() => this.guard(this.append(batch)));
  }

  private async append(batch: Uint8Array[]): Promise<void> {
    const header = this.created && !existsSync(this.path) ? [fileVersionRecord()] : [];
    try {
      await appendFile(this.path, Buffer.concat([...header, ...batch]));
      this.created = true;
    } catch (e) {
      this.queue = [...batch, ...this.queue]; // kept, in order, for the next flush
      throw e;
    }
  }

  // Background writes must never become unhandled rejections: keep the error for flush/close.
  private guard(p: Promise<void>): Promise<void> {
    return p.catch((e: unknown) => {
      this.error ??= e;
    });
  }
}

const fileVersionRecord = (): Uint8Array =>
  encodeRecord(encodeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' }));

function summaryBytes(s: Uint8Array | string | NDArray): Uint8Array {
  if (s instanceof Uint8Array) return s;
  if (typeof s === 'string') return latin1ToBytes(s);
  if (s.dtype !== 'string') {
    throw new ValueError(
      `addSummary: expected a string tensor of serialized Summary protos, got dtype ${s.dtype}`,
    );
  }
  return Buffer.concat((s.data as string[]).map(latin1ToBytes));
}

/** Writers shared per directory, so hooks writing to one logdir append to one event file. */
export const FileWriterCache = {
  writers: new Map<string, FileWriter>(),
  get(logdir: string): FileWriter {
    let w = this.writers.get(logdir);
    if (!w) this.writers.set(logdir, (w = new FileWriter(logdir)));
    w.reopen();
    return w;
  },
  /** Closes and forgets every cached writer. */
  async clear(): Promise<void> {
    const all = [...this.writers.values()];
    this.writers.clear();
    await Promise.all(all.map((w) => w.close()));
  },
};

/** Reads every Event of an event file, checking the TFRecord CRCs (TF's `summary_iterator`). */
export async function readEvents(path: string): Promise<EventProto[]> {
  const bytes = new Uint8Array(await readFile(path));
  return decodeRecords(bytes).map(decodeEvent);
}
