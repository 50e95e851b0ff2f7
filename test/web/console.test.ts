import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import {
  accessibilityProblems,
  buildConsole,
  CHROMIUM_AVAILABLE,
  launchChromium,
  openPage,
  type ServedConsole,
  screenshot,
  serveConsole,
} from './browser-harness.js';

const PASSWORD = 'a browser test password';
const HOSTILE = '<img src=x onerror=alert(1)>';

/**
 * The console in real Chromium against `mdec serve` and the simulator: a newcomer's first hour (sign
 * in, add a connector, test it, save and run, watch it finish, then every page), a viewer who sees no
 * action buttons, and tenant data written as markup that must stay text.
 */
describe.skipIf(!CHROMIUM_AVAILABLE)('the web console in Chromium', () => {
  let sim: TestSimulator;
  let served: ServedConsole;
  let browser: Browser;

  beforeAll(async () => {
    buildConsole();
    sim = await startTestSimulator({ devices: 30 });
    served = await serveConsole(
      [
        { name: 'alice', role: 'admin' },
        { name: 'victor', role: 'viewer' },
      ],
      PASSWORD,
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await sim?.close();
  });

  async function signIn(page: Page, user: string): Promise<void> {
    await page.goto(served.url);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  /** A link of the main navigation. */
  const nav = (page: Page, label: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });

  async function expectAccessible(page: Page, where: string): Promise<void> {
    expect(await accessibilityProblems(page), `axe on ${where}`).toEqual([]);
  }

  it('walks a newcomer from sign-in to sign-out', { timeout: 150_000 }, async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(served.url);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password');
    await screenshot(page, '01-sign-in-error');
    await expectAccessible(page, 'sign-in');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await screenshot(page, '02-dashboard-empty');

    // Integrations: the Defender tile, then the wizard.
    await nav(page, 'Integrations').click();
    await page.getByRole('heading', { name: 'Microsoft Defender for Endpoint' }).waitFor();
    await screenshot(page, '03-integrations-empty');
    await page.getByRole('link', { name: 'Add connector' }).click();
    await page.getByLabel('Connector name').fill('lab');
    await page.getByLabel('Directory (tenant) ID').fill(sim.sim.info.tenantId);
    await page.getByLabel('Application (client) ID').fill(sim.sim.info.clientId);
    await page.getByLabel('Client secret').fill(sim.sim.info.clientSecret);
    await page.getByLabel('Cloud').selectOption('custom');
    await page.getByLabel('API URL').fill(sim.url);
    await page.getByLabel('Login URL').fill(sim.url);
    await page.getByLabel('Scope').fill('https://api.securitycenter.microsoft.com/.default');
    await page.getByRole('button', { name: 'Test credentials' }).click();
    const checks = page.getByRole('list', { name: 'Credential checks' }).getByRole('listitem');
    await checks.first().waitFor();
    const lines = await checks.allTextContents();
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toContain('passed');
    await screenshot(page, '04-wizard-test-credentials');
    await expectAccessible(page, 'wizard');

    for (const step of [
      'Scope and filters',
      'Data types',
      'Schedule and activation',
      'Identification rules',
    ]) {
      await page.getByRole('button', { name: step }).click();
      await page.getByRole('heading', { name: step, level: 2 }).waitFor();
      await screenshot(page, `05-wizard-${step.toLowerCase().replace(/\W+/g, '-')}`);
    }
    await page.getByRole('button', { name: 'Data types' }).click();
    await page.getByLabel('Installed software').check();
    // Servers with machine actions let a connector opt in; the wizard offers it when the server does.
    await page.getByRole('button', { name: 'Schedule and activation' }).click();
    const allowActions = page.getByLabel('Allow machine actions (Run Scan, Isolate, Unisolate)');
    if ((await allowActions.count()) > 0) await allowActions.check();
    await page.getByRole('button', { name: 'Review' }).click();
    await expect.poll(() => page.locator('table.review').textContent()).toContain('installed-software');
    await screenshot(page, '06-wizard-review');
    await page.getByRole('button', { name: 'Save and run' }).click();

    // The run, followed live from its events stream to the end.
    await page.getByRole('heading', { name: /^Run \d+/ }).waitFor();
    await screenshot(page, '07-run-progress');
    await page.getByText('The run has ended: succeeded.').waitFor({ timeout: 90_000 });
    // Rows without a CVE are fetched and not stored: the page says so, as the CLI's summary does.
    await page.getByRole('heading', { name: 'Not imported' }).waitFor();
    await page.getByText(/vulnerabilities: \d+ rows without a CVE/).waitFor();
    await screenshot(page, '08-run-ended');

    await page.getByRole('link', { name: '← Connector lab' }).click();
    await page.getByRole('heading', { name: 'Run history' }).waitFor();
    await expect.poll(() => page.locator('table').first().textContent()).toContain('succeeded');
    await screenshot(page, '09-connector');

    await nav(page, 'Dashboard').click();
    await page
      .getByRole('img', { name: /Open findings by severity/ })
      .locator('canvas')
      .waitFor();
    for (const chart of ['Open findings over the last runs', 'Hosts by exposure level'])
      await page
        .getByRole('img', { name: new RegExp(chart) })
        .locator('canvas')
        .waitFor();
    await page.getByText('No finding fixed yet').waitFor();
    await screenshot(page, '10-dashboard');
    await expectAccessible(page, 'dashboard');

    // Hosts: a query typed with completion of the field name.
    await nav(page, 'Hosts').click();
    const query = page.getByRole('combobox', { name: 'Query' });
    await query.fill('heal');
    await page.getByRole('option', { name: /health:/ }).click();
    expect(await query.inputValue()).toBe('health:');
    // Healthy onboarded Windows devices: the ones Defender lets isolate (macOS refuses isolation).
    await query.pressSequentially('Active os:windows onboarding:Onboarded');
    await query.press('Enter');
    await expect.poll(() => page.url()).toContain('q=health%3AActive');
    await page
      .locator('.list-status')
      .filter({ hasText: /\d+–\d+ of/ })
      .waitFor();
    await screenshot(page, '11-hosts-query');
    await expectAccessible(page, 'hosts');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const csv = await (await download).path();
    expect(csv).toBeTruthy();

    // A host and its Microsoft Defender tab; isolate it and watch the action finish.
    await page.locator('tbody tr').first().getByRole('link').click();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    await screenshot(page, '12-host-overview');
    await page.getByRole('tab', { name: 'Sources' }).click();
    await screenshot(page, '13-host-sources');
    await page.getByRole('tab', { name: 'Microsoft Defender' }).click();
    await page.getByRole('heading', { name: /Exposure/ }).waitFor();
    await screenshot(page, '14-host-defender');
    await expectAccessible(page, 'host Defender tab');
    await page.getByRole('button', { name: 'Isolate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Isolate?' });
    await dialog.waitFor();
    await expect
      .poll(() =>
        dialog
          .getByLabel('Isolation type')
          .evaluate(
            (el) =>
              (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement ===
              el,
          ),
      )
      .toBe(true);
    await dialog.getByLabel('Comment (required)').fill('browser test: contain the device');
    await screenshot(page, '15-isolate-dialog');
    await dialog.getByRole('button', { name: 'Confirm Isolate' }).click();
    // The dialog closes once the action is requested; an error answer stays in it as an alert.
    await Promise.race([
      page.locator('.action-state').waitFor(),
      dialog
        .getByRole('alert')
        .waitFor()
        .then(async () => {
          throw new Error(`isolate refused: ${await dialog.getByRole('alert').textContent()}`);
        }),
    ]);
    await screenshot(page, '16-isolate-pending');
    // The simulator finishes an action once its clock has moved on; the tab polls until it is final.
    for (let i = 0; i < 60; i++) {
      const state = (await page.locator('.action-state').textContent()) ?? '';
      if (/succeeded|failed|timeout|cancel/i.test(state)) break;
      await sim.admin('POST', '/clock/advance', { minutes: 2 });
      await page.waitForTimeout(500);
    }
    expect(await page.locator('.action-state').textContent()).toMatch(/succeeded/i);
    await screenshot(page, '16-isolate-done');

    await nav(page, 'Findings').click();
    await page.getByRole('combobox', { name: 'Query' }).fill('severity>=4 status:open');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page
      .locator('.list-status')
      .filter({ hasText: /\d+–\d+ of/ })
      .waitFor();
    await screenshot(page, '17-findings');
    await expectAccessible(page, 'findings');

    for (const [link, heading, shot] of [
      ['Vulnerabilities', 'Vulnerabilities', '18-vulnerabilities'],
      ['Software', 'Software', '19-software'],
      ['Alerts', 'Alerts', '20-alerts'],
      ['Profiles', 'Profiles', '21-profiles'],
    ] as const) {
      await nav(page, link).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // A page of records, or the empty state (the simulated tenant may have no alerts in range).
      await page
        .locator('.list-status')
        .filter({ hasText: /\d+–\d+ of/ })
        .or(page.locator('.empty'))
        .waitFor();
      await screenshot(page, shot);
    }
    await page.locator('tbody tr').first().getByRole('cell').first().waitFor();
    await nav(page, 'Vulnerabilities').click();
    await page.locator('tbody tr').first().getByRole('link').click();
    await page.getByRole('heading', { name: 'CVSS components' }).waitFor();
    await screenshot(page, '22-vulnerability');

    // Scoring map: change a row, preview how many findings change, save, see the findings rescored.
    await nav(page, 'Scoring map').click();
    await page.getByLabel('Row 2 score').fill('85');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await expect
      .poll(() => page.getByRole('status').last().textContent())
      .toMatch(/Preview: \d+ of \d+ open findings would change/);
    await screenshot(page, '23-scoring-preview');
    await page.getByRole('button', { name: 'Save scoring map' }).click();
    await expect
      .poll(() => page.getByRole('status').last().textContent())
      .toMatch(/Saved\. \d+ of \d+ findings/);
    await screenshot(page, '23-scoring');
    await expectAccessible(page, 'scoring');

    await nav(page, 'Mapping').click();
    const mappingDownload = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download mapping CSV' }).click();
    const mapping = await mappingDownload;
    expect(mapping.suggestedFilename()).toBe('lab-mapping.csv');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync((await mapping.path())!, 'utf8').split('\n')[0]).toContain('sourceField');
    await screenshot(page, '24-mapping');
    // Clone the map, add a custom field, see it in the table, remove it.
    await page.getByRole('button', { name: 'Clone the map' }).click();
    await page.getByText('Cloned the default map as "lab transform map".').waitFor();
    await page.getByLabel('Defender field').fill('vmMetadata.vmId');
    await page.getByLabel('Custom attribute').fill('customAttributes.vmId');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByRole('cell', { name: 'host.customAttributes.vmId', exact: true }).waitFor();
    await screenshot(page, '24-mapping-custom-field');
    await expectAccessible(page, 'mapping');
    await page.getByRole('button', { name: 'Remove host.customAttributes.vmId' }).click();
    await page.getByText('Removed host.customAttributes.vmId').waitFor();
    await expect
      .poll(() => page.getByRole('cell', { name: 'host.customAttributes.vmId', exact: true }).count())
      .toBe(0);

    await nav(page, 'Users and tokens').click();
    await page.getByRole('cell', { name: 'victor', exact: true }).waitFor();
    await screenshot(page, '25-users');
    await expectAccessible(page, 'users');

    await nav(page, 'Audit log').click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('.list-status, .error-note').first().waitFor();
    // Newest first, with the signed-in user who made each change.
    const newest = page.locator('tbody tr').first();
    await expect.poll(() => newest.textContent()).toContain('mapping.remove');
    expect(await newest.textContent()).toContain('alice');
    await screenshot(page, '26-audit');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to mde-connector' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a viewer no action buttons, and tenant markup as text', { timeout: 90_000 }, async () => {
    // Tenant data written as markup, as a hostile tenant could name its devices and alerts.
    const db = new Database(served.db);
    const host = db.prepare('select id from hosts order by id limit 1').get() as { id: number };
    db.prepare('update hosts set name = ?, fqdn = ? where id = ?').run(HOSTILE, HOSTILE, host.id);
    db.prepare('update software set name = ? where id = (select min(id) from software)').run(HOSTILE);
    db.close();

    const { context, page, problems } = await openPage(browser);
    await signIn(page, 'victor');
    await nav(page, 'Hosts').click();
    await page.getByRole('combobox', { name: 'Query' }).fill('onerror');
    await page.getByRole('button', { name: 'Apply' }).click();
    const link = page.getByRole('link', { name: HOSTILE });
    await link.waitFor();
    await screenshot(page, '30-hostile-hosts');
    await link.click();
    await page.getByRole('heading', { name: new RegExp(HOSTILE.replace(/[()]/g, '\\$&')) }).waitFor();
    await page.getByRole('tab', { name: 'Overview' }).click();
    await screenshot(page, '31-hostile-host-overview');
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    await page.getByRole('tab', { name: 'Microsoft Defender' }).click();
    await page.getByText('Machine actions need the analyst role.').waitFor();
    for (const name of ['Run Scan', 'Isolate', 'Unisolate'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await screenshot(page, '32-viewer-defender');
    await nav(page, 'Integrations').click();
    await page.getByRole('link', { name: 'lab', exact: true }).click();
    await page.getByRole('heading', { name: 'Run history' }).waitFor();
    for (const name of ['Run now', 'Edit', 'Delete', 'Deactivate'])
      expect(
        (await page.getByRole('button', { name }).count()) + (await page.getByRole('link', { name }).count()),
      ).toBe(0);
    expect(await nav(page, 'Users and tokens').count()).toBe(0);
    await screenshot(page, '33-viewer-connector');
    await nav(page, 'Software').click();
    await page.getByRole('combobox', { name: 'Query' }).fill('onerror');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('cell', { name: HOSTILE }).first().waitFor();
    await screenshot(page, '34-hostile-software');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
