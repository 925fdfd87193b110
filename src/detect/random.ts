/**
 * Seeded pseudo-random numbers for the models: the Isolation Forest's subsamples and splits, the
 * random forest's bootstrap draws and feature sampling, cross-validation folds. Same seed, same sequence, on every platform (32-bit integer
 * arithmetic only). Pure, no globals.
 *
 * Generator: mulberry32 (Tommy Ettinger, 2017; public domain), a 32-bit state generator that
 * passes gjrand and PractRand up to 2^32 outputs; seeds are first mixed with the 32-bit
 * finaliser of MurmurHash3 (Appleby) so that consecutive seeds (tree 0, 1, 2…) give unrelated
 * streams.
 */

/** MurmurHash3's 32-bit finaliser (fmix32): a bijective mix of a 32-bit integer. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed of stream `index` derived from a user seed (e.g. one stream per tree or fold). */
export function deriveSeed(seed: number, index: number): number {
  return mix32((mix32(seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

/** One mulberry32 step: the next state and its mixed 32-bit output. */
function step(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, (t ^ (t >>> 14)) >>> 0];
}

/** A generator of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * A bare mulberry32 generator of floats in [0, 1) seeded with `seed` as is (its low 32 bits, no
 * mixing): the same seed gives the same sequence on every platform.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    const [next, out] = step(state);
    state = next;
    return out / 4294967296;
  };
}

/** A seeded generator of uniform numbers (the seed mixed with fmix32 first). */
export class Prng {
  private state: number;

  /** @param seed - any number; only its low 32 bits are used */
  constructor(seed: number) {
    this.state = mix32(seed >>> 0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const [next, out] = step(this.state);
    this.state = next;
    return out;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n) (n ≤ 2^32). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `a` in place (Fisher–Yates, Knuth TAOCP vol. 2, algorithm P). */
  shuffle(a: Int32Array | Uint32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}
