/**
 * Single sign-on with OpenID Connect (issue 10) in Chromium, against a real provider
 * (oidc-provider, tests/support/oidc-provider.ts) that this test starts on loopback: the login
 * page's "Sign in with Test SSO" → the provider's login and consent pages → back in Vireo signed
 * in, with the role the groups claim maps to (scripts/test.sh: vireo-admins=admin,
 * dev-team=member@project:sso-dev). Also: a tampered state is refused with a readable page and no
 * session; a user removed from a group loses that role at the next login while a role granted
 * by hand stays; a disabled SSO account is refused; an SSO account has no password login.
 * Screenshots of the login page with the button and of the error page are saved.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { admin, baseUrl, loginAs, rejection } from '../support/api.ts';
import { launchChromium } from '../support/browser.ts';
import { startTestProvider, type TestProvider } from '../support/oidc-provider.ts';

process.env.DATABASE_URL ??= `file:${path.join(process.env.VIREO_TEST_STACK_DIR ?? 'var/vtest', 'vireo.db')}`;
const db = await import('@vireo/db');

const artifacts = `${process.env.VIREO_TEST_ARTIFACTS ?? 'test-artifacts'}/sso`;
let browser: Browser;
let provider: TestProvider;
let projectId: string;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  provider = await startTestProvider();
  const project = (await db.projects.byName('sso-dev')) ?? (await db.projects.create({ name: 'sso-dev' }));
  projectId = project.id;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await provider?.close();
});

/** A browser of its own per person (the provider remembers who signed in), loopback only. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // The provider's development pages @import a web font: nothing leaves the machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  return { context, page };
}

/**
 * Clicks the SSO button and goes through the provider's pages as `login` (when it asks).
 * `tamperState`: the authorization request is sent again with another state, as an attacker's
 * link would be (the browser's flow cookie keeps the real one); the provider hands it back.
 */
async function ssoLogin(page: Page, login: string, opts: { screenshot?: string; tamperState?: boolean } = {}) {
  await page.goto(`${baseUrl()}/login`);
  const button = page.getByTestId('login-sso');
  await button.waitFor();
  assert.equal((await button.textContent())?.trim(), 'Sign in with Test SSO');
  if (opts.screenshot) await page.screenshot({ path: `${artifacts}/${opts.screenshot}`, fullPage: true });
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${provider.issuer}/auth?`));
  await button.click();
  const sent = new URL((await authorize).url());
  assert.equal(sent.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(sent.searchParams.get('nonce') && sent.searchParams.get('state'));
  if (opts.tamperState) {
    sent.searchParams.set('state', 'tampered-state-value-0123456789');
    await page.goto(sent.href);
  }
  const vireo = new URL(baseUrl()).origin;
  await page.waitForURL(
    (u) => u.pathname.startsWith('/interaction/') || (u.origin === vireo && u.pathname !== '/login'),
  );
  if (new URL(page.url()).pathname.startsWith('/interaction/')) {
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.locator('button[type=submit]').click();
    // The consent page (first login of this account to this client).
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  await page.waitForURL((u) => u.origin === vireo && u.pathname !== '/login' && !u.pathname.startsWith('/api/'));
}

async function me(page: Page): Promise<{ username: string; role: string } | null> {
  const res = await page.request.get(`${baseUrl()}/api/trpc/auth.me`);
  return ((await res.json()) as { result: { data: { username: string; role: string } | null } }).result.data;
}

async function userOf(subject: string) {
  return db.getDb().user.findFirst({
    where: { oidcIssuer: provider.issuer, oidcSubject: subject },
    select: { id: true, username: true, role: true },
  });
}

test('an admin group signs in to the admin console; a member group gets its project role', async () => {
  const alice = `alice-${Date.now().toString(36)}`;
  provider.groups.set(alice, ['vireo-admins', 'unrelated']);
  const { context, page } = await freshPage();
  await ssoLogin(page, alice, { screenshot: 'login-page-sso-button.png' });
  await page.getByTestId('nav-vms').waitFor();
  await page.getByTestId('nav-users').waitFor(); // the admin console's Users page is offered
  await page.screenshot({ path: `${artifacts}/signed-in-admin.png` });
  const aliceMe = await me(page);
  assert.equal(aliceMe?.role, 'admin');
  assert.equal(aliceMe?.username, alice);
  await context.close();

  const bob = `bob-${Date.now().toString(36)}`;
  provider.groups.set(bob, ['dev-team']);
  const second = await freshPage();
  await ssoLogin(second.page, bob);
  await second.page.getByTestId('nav-vms').waitFor();
  assert.equal(await second.page.getByTestId('nav-users').count(), 0, 'a member sees no admin pages');
  const bobUser = await userOf(bob);
  assert.ok(bobUser);
  assert.equal(bobUser.role, 'user');
  const bindings = await db.roleBindings.forUser(bobUser.id);
  assert.deepEqual(
    bindings.map((b) => [b.role, b.scopeKind, b.scopeId]),
    [['member', 'project', projectId]],
  );

  // A role granted by hand stays; the group's role goes with the group, at the next login.
  await db.roleBindings.grant({ userId: bobUser.id, role: 'viewer', scopeKind: 'system', scopeId: '' });
  provider.groups.set(bob, []);
  await second.page.getByTestId('logout').click();
  await second.page.getByTestId('login-form').waitFor();
  await ssoLogin(second.page, bob); // the provider remembers bob: straight back
  await second.page.getByTestId('nav-vms').waitFor();
  const after = await db.roleBindings.forUser(bobUser.id);
  assert.deepEqual(
    after.map((b) => [b.role, b.scopeKind]),
    [['viewer', 'system']],
  );
  // TOTP is for local accounts: the second factor of an SSO account is the provider's.
  const totp = await second.page.request.post(`${baseUrl()}/api/trpc/totp.begin`, {
    headers: { origin: baseUrl(), 'content-type': 'application/json' },
    data: {},
  });
  assert.match(await totp.text(), /signs in with single sign-on/);
  await second.context.close();

  // No password login for an SSO account, with a message that says where to sign in.
  const refused = await rejection(loginAs(bobUser.username, 'any password'));
  assert.equal(refused.code, 'UNAUTHORIZED');
  assert.match(refused.message, /Sign in with Test SSO/);

  // The audit log has the logins.
  const { api } = await admin();
  const entries = await api.audit.search.query({ actionPrefix: 'auth.sso', limit: 20 });
  const names = entries.entries.filter((e) => e.ok).map((e) => e.username);
  assert.ok(names.includes(alice) && names.includes(bob), `audit has both SSO logins: ${names.join(', ')}`);
});

test('a tampered state is refused with a readable page and no session; a disabled account is refused', async () => {
  const carol = `carol-${Date.now().toString(36)}`;
  provider.groups.set(carol, ['vireo-admins']);
  const { context, page } = await freshPage();
  await ssoLogin(page, carol, { tamperState: true });
  await page.getByTestId('sso-error').waitFor();
  assert.match((await page.getByTestId('sso-error-title').textContent()) ?? '', /could not be verified/);
  assert.doesNotMatch((await page.content()) ?? '', /at .*\.ts:\d+/, 'no stack trace');
  await page.screenshot({ path: `${artifacts}/sso-error-state.png` });
  assert.equal(await me(page), null, 'no session');
  assert.equal(await userOf(carol), null, 'no account made');
  await page.getByTestId('sso-error-back').click();
  await page.getByTestId('login-form').waitFor();

  // The same person, untampered, gets in; disabled by an admin, they are refused.
  await ssoLogin(page, carol);
  await page.getByTestId('nav-vms').waitFor();
  const carolUser = await userOf(carol);
  assert.ok(carolUser);
  const { api } = await admin();
  // Off the app first: disabling ends carol's sessions, and the open page's live stream would
  // send it to /login by itself, racing (and aborting) the next navigation.
  await page.goto('about:blank');
  await api.user.setDisabled.mutate({ userId: carolUser.id, disabled: true });
  await ssoLogin(page, carol);
  await page.getByTestId('sso-error').waitFor();
  assert.match((await page.getByTestId('sso-error-title').textContent()) ?? '', /disabled/);
  assert.equal(await me(page), null);
  const refusals = await api.audit.search.query({ actionPrefix: 'auth.sso', limit: 20 });
  const codes = refusals.entries.filter((e) => !e.ok).map((e) => e.errorCode);
  assert.ok(codes.includes('FORBIDDEN') && codes.includes('UNAUTHORIZED'), `refusals audited: ${codes.join(', ')}`);
  await context.close();
});

test('cancelling at the provider ends on a readable page, back to the login page', async () => {
  const { context, page } = await freshPage();
  await page.goto(`${baseUrl()}/login`);
  await page.getByTestId('login-sso').click();
  await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
  await page.getByRole('link', { name: '[ Cancel ]' }).click();
  await page.getByTestId('sso-error').waitFor();
  assert.match((await page.getByTestId('sso-error-title').textContent()) ?? '', /cancelled/);
  assert.equal(await me(page), null);
  await page.getByTestId('sso-error-back').click();
  await page.getByTestId('login-sso').waitFor();
  await context.close();
});
