/**
 * The operating systems of the simulated estate. `osPlatform` strings are the ones MDE prints
 * (docs/mde-api.md#machine-fields: a free string such as Windows10, Windows11). Each OS maps to a platform
 * letter that the software catalog uses to say where a product installs.
 */

export const OS_KINDS = [
  'Windows10',
  'Windows11',
  'WindowsServer2019',
  'WindowsServer2022',
  'macOS',
  'Linux',
  'iOS',
  'Android',
] as const;
export type OsKind = (typeof OS_KINDS)[number];

/** W: Windows client, S: Windows Server, M: macOS, L: Linux, I: iOS, A: Android. */
export const PLATFORMS = ['W', 'S', 'M', 'L', 'I', 'A'] as const;
export type Platform = (typeof PLATFORMS)[number];

export type PathFamily = 'windows' | 'mac' | 'linux' | 'mobile';

export interface OsSpec {
  kind: OsKind;
  platform: number;
  family: PathFamily;
  /** Share of the estate, in per mille. */
  weight: number;
  /** OS software products (CPE names); Linux picks one distribution per device. */
  osProducts: readonly string[];
  osProductWeights: readonly number[];
  /** Windows build number (machine osBuild) and release label (machine `version`). */
  build: number | null;
  release: string | null;
}

export const OS_SPECS: readonly OsSpec[] = [
  spec('Windows10', 0, 'windows', 400, ['windows_10'], [1], 19045, '22H2'),
  spec('Windows11', 0, 'windows', 250, ['windows_11'], [1], 22631, '23H2'),
  spec('WindowsServer2019', 1, 'windows', 70, ['windows_server_2019'], [1], 17763, '1809'),
  spec('WindowsServer2022', 1, 'windows', 80, ['windows_server_2022'], [1], 20348, '21H2'),
  spec('macOS', 2, 'mac', 80, ['macos'], [1], null, null),
  spec('Linux', 3, 'linux', 70, ['ubuntu_linux', 'enterprise_linux', 'debian_linux'], [5, 3, 2], null, null),
  spec('iOS', 4, 'mobile', 25, ['iphone_os'], [1], null, null),
  spec('Android', 5, 'mobile', 25, ['android'], [1], null, null),
];

function spec(
  kind: OsKind,
  platform: number,
  family: PathFamily,
  weight: number,
  osProducts: string[],
  osProductWeights: number[],
  build: number | null,
  release: string | null,
): OsSpec {
  return { kind, platform, family, weight, osProducts, osProductWeights, build, release };
}

const TOTAL_WEIGHT = OS_SPECS.reduce((sum, s) => sum + s.weight, 0);

/** Picks an OS from a uniform float in [0, 1), by the weights above. */
export function osSpecAt(u: number): OsSpec {
  let acc = 0;
  const target = u * TOTAL_WEIGHT;
  for (const s of OS_SPECS) {
    acc += s.weight;
    if (target < acc) return s;
  }
  return OS_SPECS[0]!;
}

export function isWindows(kind: OsKind): boolean {
  return kind.startsWith('Windows');
}
