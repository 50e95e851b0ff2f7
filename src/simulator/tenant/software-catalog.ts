import { OS_SPECS, type PathFamily, PLATFORMS } from './os-kinds.js';
import { SeqRandom } from './random.js';
import { type PathKind, PRODUCT_TUPLES, type ProductOptions } from './software-products.js';
import { DAY_MS } from './time-format.js';

/**
 * The product catalog of one tenant: a few hundred CPE products, each with a version ladder (oldest
 * first), release dates, end-of-support data (docs/mde-api.md#installed-software) and install paths. Built
 * once per tenant from the seed; everything per device refers to products and versions by index.
 */

/** Versions per product are capped so that (product, version) packs into one integer key. */
export const MAX_VERSIONS = 16;

export interface PathSet {
  diskPaths: readonly string[];
  registryPaths: readonly string[];
}

export interface Product {
  index: number;
  vendor: string;
  name: string;
  display: string;
  /** Software entity id (docs/mde-api.md#software: `vendor-_-name`). */
  id: string;
  /**
   * Recommendation id and rows' recommendationReference (docs/mde-api.md#vulnerability-rows,
   * #recommendations).
   */
  recommendationId: string;
  isOs: boolean;
  isMicrosoft: boolean;
  /** Install probability per platform (PLATFORMS order). */
  shares: readonly number[];
  maxShare: number;
  versions: readonly string[];
  releaseMs: readonly number[];
  /** `${name}_${version}_`: the middle of a vulnerability row id (docs/mde-api.md#vulnerability-rows). */
  idPieces: readonly string[];
  /** Cumulative uint32 thresholds of "how many versions behind the latest" a device starts. */
  lagThresholds: Uint32Array;
  baseCveCount: number;
  eosSoftwareMs: number | null;
  /** Per version: when that version leaves support, or null. */
  eosVersionMs: readonly (number | null)[];
  /**
   * Path sets per family, [variant 0, variant 1]: a path change is an "Updated" delta
   * (docs/mde-api.md#delta-feed).
   */
  paths: Readonly<Record<PathFamily, readonly [PathSet, PathSet]>>;
}

export interface SoftwareCatalog {
  products: readonly Product[];
  byName: ReadonlyMap<string, Product>;
  byId: ReadonlyMap<string, Product>;
  /** Non-OS products installable on each platform, with uint32 install thresholds. */
  platformProducts: readonly { products: Int32Array; thresholds: Uint32Array }[];
}

const EMPTY: PathSet = { diskPaths: Object.freeze([]), registryPaths: Object.freeze([]) };

const EXE: Record<string, string> = {
  chrome: 'Google\\Chrome\\Application\\chrome.exe',
  'edge_chromium-based': 'Microsoft\\Edge\\Application\\msedge.exe',
  firefox: 'Mozilla Firefox\\firefox.exe',
  acrobat_reader: 'Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe',
  office: 'Microsoft Office\\root\\Office16\\WINWORD.EXE',
  onedrive: 'Microsoft OneDrive\\OneDrive.exe',
  teams: 'WindowsApps\\MSTeams_8wekyb3d8bbwe\\ms-teams.exe',
  jre: 'Java\\jre-1.8\\bin\\java.exe',
  openssl: 'OpenSSL-Win64\\bin\\libssl-3-x64.dll',
  zoom: 'Zoom\\bin\\Zoom.exe',
};

function titleCase(name: string): string {
  return name
    .split(/[_-]/)
    .map((w) => (w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join(' ');
}

function parseShares(spec: string): number[] {
  const shares = PLATFORMS.map(() => 0);
  for (const part of spec.split(' ')) {
    if (part === '') continue;
    const at = PLATFORMS.indexOf(part[0] as (typeof PLATFORMS)[number]);
    if (at < 0) throw new Error(`bad platform share '${part}'`);
    shares[at] = Number(part.slice(1)) / 100;
  }
  return shares;
}

/** A ladder from a first version: mostly patch bumps, sometimes a minor bump that resets the tail. */
function generateLadder(start: string, rng: SeqRandom): string[] {
  const parts = start.split('.').map((p) => Number.parseInt(p, 10));
  if (parts.some((p) => Number.isNaN(p))) throw new Error(`cannot ladder version '${start}'`);
  const count = rng.int(5, 9);
  const out = [start];
  const last = parts.length - 1;
  for (let k = 1; k < count; k++) {
    const minor = parts.length >= 3 && rng.chance(0.3);
    const at = minor ? 1 : last;
    parts[at] = (parts[at] ?? 0) + rng.int(1, minor ? 1 : 3);
    for (let j = at + 1; j < parts.length; j++)
      parts[j] = j === last && parts.length === 4 ? rng.int(1, 999) : 0;
    out.push(parts.join('.'));
  }
  return out;
}

function buildPaths(
  name: string,
  display: string,
  kind: PathKind,
): Record<PathFamily, readonly [PathSet, PathSet]> {
  const none: readonly [PathSet, PathSet] = [EMPTY, EMPTY];
  if (kind === 'none') return { windows: none, mac: none, linux: none, mobile: none };
  const bare = name.replace(/[^a-z0-9]+/g, '');
  const uninstall = `Microsoft\\Windows\\CurrentVersion\\Uninstall\\${display}`;
  const set = (disk: string[], reg: string[]): PathSet => ({
    diskPaths: Object.freeze(disk),
    registryPaths: Object.freeze(reg),
  });
  let windows: readonly [PathSet, PathSet];
  if (kind === 'registry') {
    windows = [
      set([], [`SOFTWARE\\Microsoft\\${display}\\Install`]),
      set([], [`SOFTWARE\\WOW6432Node\\Microsoft\\${display}\\Install`]),
    ];
  } else {
    const exe = EXE[name] ?? (kind === 'lib' ? `${display}\\bin\\lib${bare}.dll` : `${display}\\${bare}.exe`);
    windows = [
      set([`C:\\Program Files\\${exe}`], [`HKEY_LOCAL_MACHINE\\SOFTWARE\\${uninstall}`]),
      set([`C:\\Program Files (x86)\\${exe}`], [`HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\${uninstall}`]),
    ];
  }
  const mac: readonly [PathSet, PathSet] =
    kind === 'lib'
      ? [set([`/usr/local/lib/lib${bare}.dylib`], []), set([`/opt/homebrew/lib/lib${bare}.dylib`], [])]
      : [
          set([`/Applications/${display}.app`], []),
          set([`/System/Volumes/Data/Applications/${display}.app`], []),
        ];
  const linux: readonly [PathSet, PathSet] =
    kind === 'lib'
      ? [set([`/usr/lib/x86_64-linux-gnu/lib${bare}.so`], []), set([`/usr/lib64/lib${bare}.so`], [])]
      : [set([`/usr/bin/${bare}`], []), set([`/usr/local/bin/${bare}`], [])];
  return { windows, mac, linux, mobile: none };
}

function lagThresholds(count: number, decay: number): Uint32Array {
  const weights = Array.from({ length: count }, (_, j) => decay ** j);
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Uint32Array(count);
  let acc = 0;
  for (let j = 0; j < count; j++) {
    acc += weights[j]! / total;
    out[j] = j === count - 1 ? 0xffffffff : Math.min(0xffffffff, Math.floor(acc * 4294967296));
  }
  return out;
}

function eosOf(
  options: ProductOptions,
  releaseMs: readonly number[],
): { software: number | null; versions: (number | null)[] } {
  const eos = options.eos;
  if (eos?.startsWith('software:')) {
    return { software: Date.parse(`${eos.slice(9)}T00:00:00Z`), versions: releaseMs.map(() => null) };
  }
  if (eos === 'versions') {
    // A version leaves support a quarter after its third successor ships (docs/mde-api.md#installed-software:
    // EOS Version).
    const n = releaseMs.length;
    return {
      software: null,
      versions: releaseMs.map((_, k) => (k + 3 < n ? releaseMs[k + 3]! + 90 * DAY_MS : null)),
    };
  }
  return { software: null, versions: releaseMs.map(() => null) };
}

export function buildSoftwareCatalog(seed: number, originMs: number): SoftwareCatalog {
  const rng = new SeqRandom(seed ^ 0x50f7ca7a);
  const products: Product[] = [];
  const byName = new Map<string, Product>();
  const byId = new Map<string, Product>();
  for (const [vendor, name, shareSpec, cves, options = {}] of PRODUCT_TUPLES) {
    if (byName.has(name)) throw new Error(`duplicate product name '${name}'`);
    const spec = options.versions;
    const versions = (
      Array.isArray(spec) ? [...spec] : generateLadder((spec as string | undefined) ?? '1.0.0', rng)
    ).slice(0, MAX_VERSIONS);
    const interval = (options.release ?? rng.int(30, 120)) * DAY_MS;
    const newest = originMs - rng.int(2, 14) * DAY_MS;
    const releaseMs = versions.map((_, k) => {
      const back = versions.length - 1 - k;
      return back === 0 ? newest : newest - back * interval - rng.int(0, Math.floor(interval / 3));
    });
    const display = options.display ?? titleCase(name);
    const shares = parseShares(shareSpec);
    const eos = eosOf(options, releaseMs);
    const product: Product = {
      index: products.length,
      vendor,
      name,
      display,
      id: `${vendor}-_-${name}`,
      recommendationId: `va-_-${vendor}-_-${name}`,
      isOs: options.os === true,
      isMicrosoft: vendor === 'microsoft',
      shares,
      maxShare: Math.max(...shares),
      versions,
      releaseMs,
      idPieces: versions.map((v) => `${name}_${v}_`),
      lagThresholds: lagThresholds(versions.length, options.decay ?? 0.7),
      baseCveCount: cves,
      eosSoftwareMs: eos.software,
      eosVersionMs: eos.versions,
      paths: buildPaths(name, display, options.paths ?? 'app'),
    };
    products.push(product);
    byName.set(name, product);
    byId.set(product.id, product);
  }
  for (const os of OS_SPECS) {
    for (const name of os.osProducts)
      if (!byName.get(name)?.isOs) throw new Error(`missing OS product ${name}`);
  }
  const platformProducts = PLATFORMS.map((_, platform) => {
    const list = products.filter((p) => !p.isOs && (p.shares[platform] ?? 0) > 0);
    return {
      products: Int32Array.from(list.map((p) => p.index)),
      thresholds: Uint32Array.from(
        list.map((p) => Math.min(0xffffffff, Math.floor((p.shares[platform] ?? 0) * 4294967296))),
      ),
    };
  });
  return { products, byName, byId, platformProducts };
}

export type EndOfSupportStatus =
  | 'None'
  | 'EOS Version'
  | 'Upcoming EOS Version'
  | 'EOS Software'
  | 'Upcoming EOS Software';

const UPCOMING_MS = 365 * DAY_MS;

/**
 * docs/mde-api.md#installed-software: endOfSupportStatus / endOfSupportDate of one installed version, as of
 * `atMs`.
 */
export function endOfSupport(
  product: Product,
  version: number,
  atMs: number,
): { status: EndOfSupportStatus; dateMs: number | null } {
  if (product.eosSoftwareMs !== null) {
    const date = product.eosSoftwareMs;
    if (date <= atMs) return { status: 'EOS Software', dateMs: date };
    if (date - atMs <= UPCOMING_MS) return { status: 'Upcoming EOS Software', dateMs: date };
    return { status: 'None', dateMs: null };
  }
  const date = product.eosVersionMs[version] ?? null;
  if (date === null) return { status: 'None', dateMs: null };
  if (date <= atMs) return { status: 'EOS Version', dateMs: date };
  if (date - atMs <= UPCOMING_MS) return { status: 'Upcoming EOS Version', dateMs: date };
  return { status: 'None', dateMs: null };
}
