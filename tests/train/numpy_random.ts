// NumPy's legacy RandomState (MT19937), enough to regenerate the data TF's tests draw after
// np.random.seed(s): rand (53-bit doubles), randint (masked rejection on 32-bit words) and
// randn (polar Box-Muller with a cached second value).

export class NumpyRandom {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  private gaussCache: number | null = null;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit word of the Mersenne Twister. */
  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** A double in [0, 1) from two words, as numpy's random_sample. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** np.random.rand(...shape), flattened row-major. */
  rand(...shape: number[]): number[] {
    return Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => this.random());
  }

  /** np.random.randint(low, high, size=n): the smallest bit mask over the range, rejecting overshoots. */
  randint(low: number, high: number, n = 1): number[] {
    const range = high - low - 1;
    let mask = range;
    for (let s = 1; s <= 16; s *= 2) mask |= mask >>> s;
    return Array.from({ length: n }, () => {
      if (range === 0) return low;
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0;
      while (v > range);
      return low + v;
    });
  }

  /** One standard normal draw (numpy's legacy_gauss). */
  gauss(): number {
    if (this.gaussCache !== null) {
      const g = this.gaussCache;
      this.gaussCache = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.random() - 1;
      x2 = 2 * this.random() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gaussCache = f * x1;
    return f * x2;
  }

  /** np.random.randn(...shape), flattened row-major. */
  randn(...shape: number[]): number[] {
    return Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => this.gauss());
  }
}
