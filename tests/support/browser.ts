/** Chromium for browser tests: one launch and one login, as a person would do them. */
import { type Browser, chromium, type Page } from 'playwright-core';
import { adminPassword, baseUrl } from './api.ts';
import { chromiumArgs, chromiumExecutable } from './chromium.mjs';

/**
 * Pages wait up to 60 s for an element (Playwright's default is 30 s): on 2 cores with the lab's
 * guests busy, a first page load once took longer than 30 s, and waiting longer costs nothing
 * when things work.
 */
export const PAGE_TIMEOUT_MS = 60_000;

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    return page;
  };
  return browser;
}

/** Logs in through the login page and waits for the console's navigation. */
export async function logInPage(page: Page, username = 'admin', password = adminPassword()): Promise<void> {
  await page.goto(`${baseUrl()}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-vms').waitFor();
}

/** Opens a tab of the VM page ('summary', 'console', 'hardware', 'snapshots', 'tasks'). */
export async function openVmTab(page: Page, tab: string): Promise<void> {
  await page.getByTestId(`vm-tab-${tab}`).click();
  await page.getByTestId(`vm-tabpanel-${tab}`).waitFor();
}

/** Clicks one of the VM page's rarer actions (Force off, Delete, Clone…): they sit in "More". */
export async function clickMoreAction(page: Page, testId: string): Promise<void> {
  const more = page.getByTestId('vm-more');
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
  await page.getByTestId(testId).click();
}

/**
 * Opens the New VM form and waits until it has taken the first template's defaults: the memory
 * field is empty until the templates load, and a value typed before then got the default put in
 * front of it on a loaded machine ("128256").
 */
export async function openNewVmForm(page: Page, url = baseUrl()): Promise<void> {
  await page.goto(`${url}/vms/new`);
  await page.waitForFunction(
    () => ((document.querySelector('[data-testid="vm-memory"]') as HTMLInputElement | null)?.value ?? '') !== '',
  );
}
