// (being written)
export function registerArrayGradients(): void {}
