import { gunzipSync } from 'node:zlib';
import { defaultSimulatorOptions, type SimulatorOptions } from '../../src/simulator/simulator-options.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/start-simulator.js';

/** Simulated time zero used by the tests: a fixed instant on a snapshot boundary. */
export const TEST_ORIGIN = Date.parse('2026-11-01T00:00:00Z');

/** Starts a real simulator on a loopback port; tests talk to it over sockets. */
export async function startTestSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<TestSimulator> {
  const sim = await startSimulator({
    ...defaultSimulatorOptions(),
    devices: 200,
    seed: 7,
    rateLimits: 'off',
    originMs: TEST_ORIGIN,
    devicesPerFile: 80,
    ...overrides,
  });
  return new TestSimulator(sim);
}

export class TestSimulator {
  private token: string | undefined;

  constructor(readonly sim: RunningSimulator) {}

  get url(): string {
    return this.sim.info.apiUrl;
  }

  async close(): Promise<void> {
    await this.sim.close();
  }

  /** Client-credentials sign-in with the default app's secret (v2 endpoint, docs/mde-api.md#sign-in). */
  async signIn(clientId = this.sim.info.clientId, secret = this.sim.info.clientSecret): Promise<string> {
    const res = await fetch(`${this.url}/${this.sim.info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'https://api.securitycenter.microsoft.com/.default',
      }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || !body.access_token)
      throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** GET an API path (or a full URL) with the default app's token. */
  async get(pathOrUrl: string, token?: string): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.url}${pathOrUrl}`;
    if (token) return fetch(url, { headers: { authorization: `Bearer ${token}` } });
    this.token ??= await this.signIn();
    const res = await fetch(url, { headers: { authorization: `Bearer ${this.token}` } });
    if (res.status !== 401) return res;
    // Advancing the simulated clock expires tokens, as it would for a real client: sign in again.
    this.token = await this.signIn();
    return fetch(url, { headers: { authorization: `Bearer ${this.token}` } });
  }

  async getJson<T = Record<string, unknown>>(
    pathOrUrl: string,
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.get(pathOrUrl);
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  }

  async post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    // A fresh token each time: tests advance the clock between actions.
    this.token = await this.signIn();
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/_sim${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  }

  async fault(rule: Record<string, unknown>): Promise<void> {
    await this.admin('POST', '/faults', rule);
  }

  async advanceHours(hours: number): Promise<void> {
    await this.admin('POST', '/clock/advance', { hours });
  }

  async truthRows(kind: 'vulnerabilities' | 'machines' | 'alerts'): Promise<Record<string, unknown>[]> {
    const res = await fetch(`${this.url}/_sim/truth/${kind}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Follows nextLinks of an OData or assessment endpoint and returns every row. */
  async allPages(path: string, maxPages = 1000): Promise<{ rows: Record<string, unknown>[]; pages: number }> {
    const rows: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    let pages = 0;
    while (next) {
      if (++pages > maxPages) throw new Error('too many pages');
      const page: { status: number; body: { value: Record<string, unknown>[]; '@odata.nextLink'?: string } } =
        await this.getJson(next);
      const { status, body } = page;
      if (status !== 200) throw new Error(`page ${pages} answered ${status}: ${JSON.stringify(body)}`);
      rows.push(...body.value);
      next = body['@odata.nextLink'];
    }
    return { rows, pages };
  }
}

/** Downloads an export file (no auth header, docs/mde-api.md#clouds-and-hosts) and parses its JSON lines. */
export async function downloadExportFile(url: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`download answered ${res.status}: ${await res.text()}`);
  const text = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The finding key of docs/mde-api.md#delta-feed, from camelCase or PascalCase rows. */
export function rowKey(row: Record<string, unknown>): string {
  const get = (camel: string) => row[camel] ?? row[camel.charAt(0).toUpperCase() + camel.slice(1)];
  return [
    get('deviceId'),
    get('softwareVendor'),
    get('softwareName'),
    get('softwareVersion'),
    get('cveId'),
  ].join('|');
}
