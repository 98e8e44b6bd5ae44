// (being written)
export function registerNnGradients(): void {}
