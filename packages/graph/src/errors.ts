// Error classes of TF's `tf.errors` (run time) plus the build-time ValueError / TypeError.
import type { Operation } from './graph.js';

/** A build-time error: an argument has the right type but a wrong value (TF's ValueError). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** A build-time error: an argument has the wrong type or dtype (TF's TypeError). */
class GraphTypeError extends Error {
  override name = 'TypeError';
}

export { GraphTypeError as TypeError };

/** Misuse of the graph itself, such as adding to a finalized graph (TF's RuntimeError). */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** A registry has no entry for the key, e.g. an op on the gradient path has no rule (TF's LookupError). */
export class LookupError extends Error {
  override name = 'LookupError';
}

/** A run-time failure of one op; `op` is the failing op and `creationSite` the user line that built it. */
export class OpError extends Error {
  override name = 'OpError';
  readonly op: Operation | null;
  constructor(message: string, op: Operation | null = null, options?: { cause?: unknown }) {
    super(
      op ? `${message}\n\t [[node ${op.name} (op type: ${op.type}) defined at ${op.creationSite}]]` : message,
      options,
    );
    this.op = op;
  }
  get creationSite(): string | null {
    return this.op?.creationSite ?? null;
  }
}
export class InvalidArgumentError extends OpError {
  override name = 'InvalidArgumentError';
}
export class FailedPreconditionError extends OpError {
  override name = 'FailedPreconditionError';
}
export class NotFoundError extends OpError {
  override name = 'NotFoundError';
}
export class OutOfRangeError extends OpError {
  override name = 'OutOfRangeError';
}
export class UnimplementedError extends OpError {
  override name = 'UnimplementedError';
}
export class CancelledError extends OpError {
  override name = 'CancelledError';
}
/** Unrecoverable data loss or corruption, e.g. a damaged checkpoint file (TF's DataLossError). */
export class DataLossError extends OpError {
  override name = 'DataLossError';
}

/** An allocation above the session's memory limit, refused before it is made (TF's ResourceExhaustedError). */
export class ResourceExhaustedError extends OpError {
  override name = 'ResourceExhaustedError';
}
/** A run past its `RunOptions.timeoutInMs`, stopped between kernels (TF's DeadlineExceededError). */
export class DeadlineExceededError extends OpError {
  override name = 'DeadlineExceededError';
}

export const errors = {
  OpError,
  InvalidArgumentError,
  FailedPreconditionError,
  NotFoundError,
  OutOfRangeError,
  UnimplementedError,
  CancelledError,
  DataLossError,
  ResourceExhaustedError,
  DeadlineExceededError,
  ValueError,
  TypeError: GraphTypeError,
} as const;
