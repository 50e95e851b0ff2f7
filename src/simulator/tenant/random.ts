/**
 * Seeded integer hashing. Every simulated value is a pure function of (seed, salt, indices), so a
 * record can be recomputed at any time without keeping state (docs/architecture.md#the-simulator:
 * "deterministic synthetic tenants of any size"). Murmur3's 32-bit block step and finaliser: fast, well
 * mixed, no allocation.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Murmur3 fmix32: a bijective avalanche on 32 bits. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function step(h: number, k: number): number {
  let x = Math.imul(k | 0, C1);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, C2);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

export function hash2(a: number, b: number): number {
  return mix32(step(step(0, a), b) ^ 2);
}

export function hash3(a: number, b: number, c: number): number {
  return mix32(step(step(step(0, a), b), c) ^ 3);
}

export function hash4(a: number, b: number, c: number, d: number): number {
  return mix32(step(step(step(step(0, a), b), c), d) ^ 4);
}

export function hash5(a: number, b: number, c: number, d: number, e: number): number {
  return mix32(step(step(step(step(step(0, a), b), c), d), e) ^ 5);
}

/** A uniform float in [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return h / 4294967296;
}

/** A uniform integer in [0, n) from a 32-bit hash. */
export function below(h: number, n: number): number {
  return Math.floor((h / 4294967296) * n);
}

/** An integer in [lo, hi] inclusive. */
export function between(h: number, lo: number, hi: number): number {
  return lo + below(h, hi - lo + 1);
}

export function pick<T>(list: readonly T[], h: number): T {
  const item = list[below(h, list.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of a 32-bit value, zero-padded to 8 digits (by table: ids are made by the million). */
export function hex8(h: number): string {
  return (
    HEX_BYTE[(h >>> 24) & 255]! +
    HEX_BYTE[(h >>> 16) & 255]! +
    HEX_BYTE[(h >>> 8) & 255]! +
    HEX_BYTE[h & 255]!
  );
}

/** A GUID-shaped string (8-4-4-4-12) from four hashes of (a, b). */
export function guid(a: number, b: number, salt: number): string {
  const p = hex8(hash3(a, b, salt));
  const q = hex8(hash3(a, b, salt + 1));
  const r = hex8(hash3(a, b, salt + 2));
  const s = hex8(hash3(a, b, salt + 3));
  return `${p}-${q.slice(0, 4)}-4${q.slice(5, 8)}-${'89ab'[below(hash3(a, b, salt + 4), 4)]}${r.slice(1, 4)}-${r.slice(4)}${s}`;
}

/**
 * A sequential generator for building the small catalogs once per tenant (splitmix32). The
 * per-device data never uses it: those values must not depend on the order of calls.
 */
export class SeqRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state ^ 0x5bd1e995);
  }

  float(): number {
    return unit(this.next());
  }

  int(lo: number, hi: number): number {
    return between(this.next(), lo, hi);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(list: readonly T[]): T {
    return pick(list, this.next());
  }
}

/**
 * Salts that keep the hash streams of different attributes independent. Plain numbers (not an
 * enum, docs/architecture.md#conventions); each purpose has its own value.
 */
export const Salt = {
  os: 1,
  onboarding: 2,
  merged: 3,
  duplicate: 4,
  stale: 5,
  staleWhen: 6,
  stop: 7,
  stopWhen: 8,
  health: 9,
  deviceValue: 10,
  group: 11,
  groupMove: 12,
  groupStep: 13,
  tags: 14,
  aad: 15,
  hostname: 16,
  dns: 17,
  ip: 18,
  mac: 19,
  vm: 20,
  firstSeen: 21,
  reportPhase: 22,
  install: 23,
  version: 24,
  upgrade: 25,
  pathEvent: 26,
  installTime: 27,
  risk: 28,
  exposure: 29,
  agent: 30,
  av: 31,
  managed: 32,
  arch: 33,
  excluded: 34,
  linuxDistro: 35,
  nonCpe: 36,
  logon: 37,
  alert: 38,
  alertMachine: 39,
  changeTime: 40,
  machineId: 41,
  onboardTime: 42,
  mergeTarget: 43,
  hostnameQuirk: 44,
  idMask: 45,
} as const;

/** A seeded stream of numbers in [0, 1) (mulberry32), for tests and benchmarks that must replay a run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
