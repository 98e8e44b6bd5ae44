// The onnxruntime session's variable values, as host tensors onnxruntime reads without a copy;
// journaled so a failed run restores every variable.
import type { Operation } from '@graphmode/graph';
import type { OrtTensor } from './ort.js';

export class HostVariables {
  private readonly values = new Map<Operation, OrtTensor>();
  private readonly journal = new Map<Operation, OrtTensor | undefined>();
  get(op: Operation): OrtTensor | undefined {
    return this.values.get(op);
  }
  write(op: Operation, value: OrtTensor): void {
    if (!this.journal.has(op)) this.journal.set(op, this.values.get(op));
    this.values.set(op, value);
  }
  commit(): void {
    this.journal.clear();
  }
  rollback(): void {
    for (const [op, old] of this.journal) {
      if (old === undefined) this.values.delete(op);
      else this.values.set(op, old);
    }
    this.journal.clear();
  }
  clear(): void {
    this.values.clear();
    this.journal.clear();
  }
}
