// Signed out: the plain address, and a tab left open while hoard serve
// restarted (each start makes a new session), show one clear sign-in page
// that says where the link comes from, with no counts and no error toasts.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, serve, type Served } from '../src/testing/serve';
import { axe } from './axe';
import { artifacts, chromiumPath, launch } from './browser';

describe.skipIf(!(have() && existsSync(chromiumPath)))('signed out', () => {
  const vault = mkdtempSync(join(tmpdir(), 'hoard-signin-'));
  let srv: Served;
  let browser: Browser;
  const shots = artifacts('signin');
  const shot = async (page: Page, name: string) => {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5000);
  };
  // What a signed-out page must not show: the app's counts, toasts, errors.
  const clean = async (page: Page) => {
    await page.getByRole('heading', { name: 'Sign in to Hoard' }).waitFor();
    await page.getByText('hoard serve', { exact: true }).waitFor();
    await page.getByText('The desktop app needs no link.', { exact: false }).waitFor();
    await new Promise((r) => setTimeout(r, 1500)); // time for a stray request to fail and say so
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/-1|documents|bearer token|Dismiss/);
    expect(await page.locator('.toast').count()).toBe(0);
    expect(await page.locator('nav').count()).toBe(0);
  };

  beforeAll(async () => {
    srv = await serve('signin-token', [], vault);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    rmSync(vault, { recursive: true, force: true });
  });

  it('shows the sign-in page at the plain address, and signs in with the token pasted', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(srv.base);
    await clean(page);
    expect(await axe(page)).toEqual([]);
    await shot(page, 'signin');
    // A wrong token says so; the right one signs in.
    await page.getByLabel('Or paste the token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted').waitFor();
    await page.getByLabel('Or paste the token').fill(srv.token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your vault is empty' }).waitFor();
    await page.close();
  });

  it('turns an open tab into the sign-in page when hoard serve restarts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${srv.base}/?token=${srv.token}`);
    await page.getByRole('heading', { name: 'Your vault is empty' }).waitFor();
    await page.getByText('Up to date').waitFor();
    const port = new URL(srv.base).port;
    await srv.stop();
    srv = await serve('signin-token', ['--addr', `127.0.0.1:${port}`], vault);
    // The live stream comes back to a server that does not know the session.
    await page.getByRole('heading', { name: 'Sign in to Hoard' }).waitFor({ timeout: 20000 });
    await clean(page);
    await shot(page, 'signin-after-restart');
    await page.close();
  });
});
