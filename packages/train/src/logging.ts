// Where the train package's warnings go: console.warn / console.info unless the user installs
// another logger (TF's tf.logging).
export interface TrainLogger {
  warn(message: string): void;
  info(message: string): void;
}

const consoleLogger: TrainLogger = {
  warn: (m) => console.warn(m),
  info: (m) => console.info(m),
};
let current: TrainLogger = consoleLogger;

/**
 * Installs the logger for warnings such as create_train_op's missing update ops; `null` restores
 * the console.
 * @example setLogger({ warn: (m) => warnings.push(m), info: () => {} });
 */
export function setLogger(logger: TrainLogger | null): void {
  current = logger ?? consoleLogger;
}
export const logger = (): TrainLogger => current;
