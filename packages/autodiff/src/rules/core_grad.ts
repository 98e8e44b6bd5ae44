// (being written)
export function registerCoreGradients(): void {}
