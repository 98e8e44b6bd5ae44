// (being written)
export function registerMathGradients(): void {}
