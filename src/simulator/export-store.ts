import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { pascalJsonLine } from './export-casing.js';
import type { SimulatedTenant } from './tenant/simulated-tenant.js';

/**
 * The three via-files exports (docs/mde-api.md#export-files, #software) and the blob folder each one lives
 * in.
 */
export const EXPORT_KINDS = ['vulnerabilities', 'inventory', 'noncpe'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

const FOLDERS: Record<ExportKind, string> = {
  vulnerabilities: 'VaExport',
  inventory: 'SoftwareInventoryExport',
  noncpe: 'NonCpeSoftwareInventoryExport',
};

interface Generation {
  kind: ExportKind;
  epoch: number;
  fileCount: number;
  /** Resolves when file i is complete on disk. */
  done: Promise<void>[];
  /** Rejects only if writing failed; then the generation is dropped and retried on next request. */
  finished: Promise<void>;
}

/**
 * Builds the gzip JSON-lines files of a snapshot on disk once, in the background, and hands them to
 * the blob route. Rows are streamed device by device, so memory stays flat at any tenant size.
 */
export class ExportStore {
  private readonly generations = new Map<string, Generation>();

  constructor(
    private readonly tenant: SimulatedTenant,
    private readonly dir: string,
    private readonly devicesPerFile: number,
    /** How long a snapshot's files take to start appearing after the first request (simulator-options.ts). */
    private readonly generationDelayMs = 0,
  ) {}

  folder(kind: ExportKind): string {
    return FOLDERS[kind];
  }

  fileName(index: number): string {
    return `part-${String(index).padStart(5, '0')}.json.gz`;
  }

  path(kind: ExportKind, epoch: number, index: number): string {
    return join(this.dir, `${kind}-${epoch}`, this.fileName(index));
  }

  /** Starts (or reuses) the generation of one snapshot and returns how many files it has. */
  ensure(kind: ExportKind, epoch: number): Generation {
    const key = `${kind}-${epoch}`;
    const existing = this.generations.get(key);
    if (existing) return existing;
    const machines = this.tenant.machineCount(this.tenant.snapshotTime(epoch).getTime());
    const fileCount = Math.max(1, Math.ceil(machines / this.devicesPerFile));
    const resolvers: Array<() => void> = [];
    const done = Array.from({ length: fileCount }, () => new Promise<void>((r) => resolvers.push(r)));
    const generation: Generation = {
      kind,
      epoch,
      fileCount,
      done,
      finished: this.writeAll(kind, epoch, machines, fileCount, resolvers),
    };
    generation.finished.catch(() => this.generations.delete(key));
    this.generations.set(key, generation);
    this.dropOlder(kind, epoch);
    return generation;
  }

  /** Waits until file `index` of the snapshot exists; undefined if there is no such file. */
  async file(kind: ExportKind, epoch: number, index: number): Promise<string | undefined> {
    const g = this.generations.get(`${kind}-${epoch}`);
    if (!g || index < 0 || index >= g.fileCount) return undefined;
    await Promise.race([g.done[index], g.finished.then(() => g.done[index])]);
    return this.path(kind, epoch, index);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.generations.values()].map((g) => g.finished));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async writeAll(
    kind: ExportKind,
    epoch: number,
    machines: number,
    fileCount: number,
    resolvers: Array<() => void>,
  ): Promise<void> {
    await mkdir(join(this.dir, `${kind}-${epoch}`), { recursive: true });
    if (this.generationDelayMs > 0) await sleep(this.generationDelayMs);
    for (let f = 0; f < fileCount; f++) {
      const first = f * this.devicesPerFile;
      const last = Math.min(machines, first + this.devicesPerFile);
      const target = this.path(kind, epoch, f);
      await this.writeFile(`${target}.partial`, kind, epoch, first, last);
      // Renamed only when complete, so a download never sees a half-written file.
      await rename(`${target}.partial`, target);
      resolvers[f]!();
    }
  }

  private async writeFile(path: string, kind: ExportKind, epoch: number, first: number, last: number) {
    const gzip = createGzip({ level: 1 });
    const out = createWriteStream(path);
    gzip.pipe(out);
    const closed = once(out, 'close');
    let buffer = '';
    for (let i = first; i < last; i++) {
      for (const row of this.rowsOf(kind, i, epoch)) buffer += `${pascalJsonLine(row)}\n`;
      if (buffer.length > 1 << 20) {
        if (!gzip.write(buffer)) await once(gzip, 'drain');
        buffer = '';
      }
    }
    gzip.end(buffer);
    await closed;
  }

  private rowsOf(kind: ExportKind, machineIndex: number, epoch: number): object[] {
    if (kind === 'vulnerabilities') return this.tenant.vulnerabilityRows(machineIndex, epoch);
    if (kind === 'inventory') return this.tenant.inventoryRows(machineIndex, epoch);
    return this.tenant.nonCpeInventoryRows(machineIndex, epoch);
  }

  /** Keeps the newest two snapshots of a kind; older files are deleted from disk. */
  private dropOlder(kind: ExportKind, epoch: number): void {
    for (const [key, g] of this.generations) {
      if (g.kind === kind && g.epoch < epoch - 1) {
        this.generations.delete(key);
        g.finished.finally(() => rm(join(this.dir, key), { recursive: true, force: true })).catch(() => {});
      }
    }
  }
}
