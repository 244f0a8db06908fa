#!/usr/bin/env node
// Browser check of the GraphiQL playground (contract §10 "Playground").
//
//   cd tests/clients && npm ci --ignore-scripts
//   node graphiql.mjs <base-url> <access-token> [expected-username]
//
// Drives the system Chromium (/usr/bin/chromium, Debian's `chromium` package)
// through playwright-core; it never downloads a browser. Every request to an
// origin other than <base-url>'s is aborted and counted as a failure, as are
// console errors, uncaught page errors, CSP violations and same-origin
// responses >= 400. It then checks that the headers editor is open with the
// `Authorization: Bearer` template, puts the token into it, runs
// `{ me { username } }` and waits for the username in the result pane.
// Exit 0 on success; 1 when a check fails; 2 on bad usage.

import fs from 'node:fs';
import { chromium } from 'playwright-core';

const TIMEOUT_MS = 60_000;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TEMPLATE = 'Bearer <paste your accessToken here>';

const [baseArg, token, expectedUser] = process.argv.slice(2);
if (!baseArg || !token) {
  console.error('usage: node graphiql.mjs <base-url> <access-token> [expected-username]');
  process.exit(2);
}
let base;
try {
  base = new URL(baseArg);
} catch {
  console.error(`graphiql: not a URL: ${baseArg}`);
  process.exit(2);
}
const origin = base.origin;
const pageUrl = new URL('/graphql', base).toString();

const problems = {
  external: [], // requests to another origin (aborted)
  console: [], // console.error messages
  pageErrors: [], // uncaught exceptions
  csp: [], // securitypolicyviolation events
  http: [], // same-origin responses >= 400 or failed requests
};

function isSameOrigin(url) {
  if (/^(data|blob|about):/.test(url)) return true;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

function report() {
  const lines = [];
  for (const [kind, list] of Object.entries(problems)) {
    for (const item of list) lines.push(`  ${kind}: ${item}`);
  }
  return lines;
}

let browser;
let step = 'starting';

async function run() {
  step = `launching ${CHROMIUM}`;
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (Debian: apt-get install -y chromium; or set CHROMIUM)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ serviceWorkers: 'block' });

  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isSameOrigin(url)) return route.continue();
    problems.external.push(`${route.request().method()} ${url}`);
    return route.abort('blockedbyclient');
  });

  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      problems.console.push(`${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err && err.stack ? err.stack.split('\n')[0] : err)));
  page.on('response', (res) => {
    if (isSameOrigin(res.url()) && res.status() >= 400) {
      problems.http.push(`${res.request().method()} ${res.url()} -> ${res.status()}`);
    }
  });
  page.on('requestfailed', (req) => {
    if (isSameOrigin(req.url())) problems.http.push(`${req.method()} ${req.url()} failed: ${req.failure()?.errorText}`);
  });
  page.on('websocket', (ws) => {
    if (!isSameOrigin(ws.url().replace(/^ws/, 'http'))) problems.external.push(`WebSocket ${ws.url()}`);
  });

  // CSP violations: reported from the page through a binding (bindings and
  // init scripts are installed over CDP, so the page's CSP does not block them).
  await page.exposeFunction('__datakeepCspViolation', (v) => problems.csp.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__datakeepCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile || '?'}:${e.lineNumber}`);
    });
  });

  step = `opening ${pageUrl}`;
  const res = await page.goto(pageUrl, { waitUntil: 'load' });
  if (!res || res.status() !== 200) throw new Error(`GET ${pageUrl} answered ${res ? res.status() : 'nothing'}`);
  const ctype = res.headers()['content-type'] || '';
  if (!ctype.startsWith('text/html')) throw new Error(`GET ${pageUrl} is ${ctype || 'without content-type'}, not text/html`);
  if (!res.headers()['content-security-policy']) throw new Error(`GET ${pageUrl} sent no Content-Security-Policy`);
  const title = await page.title();

  step = 'waiting for GraphiQL to render';
  await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30_000 });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 10_000 });

  // The CodeMirror 5 instances: query, variables, headers, response. The two
  // editor-tool editors share markup; tell them apart by the active tab.
  step = 'checking the headers editor';
  const headersState = await page.evaluate(() => {
    const tab = document.querySelector('.graphiql-editor-tools button[data-name="headers"]');
    const toolEditors = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')];
    const visible = toolEditors.filter((el) => !el.classList.contains('hidden'));
    const cm = visible.length === 1 ? visible[0].querySelector('.CodeMirror')?.CodeMirror : null;
    return {
      tabExists: !!tab,
      tabActive: !!tab && tab.classList.contains('active'),
      visibleEditors: visible.length,
      value: cm ? cm.getValue() : null,
    };
  });
  if (!headersState.tabExists) throw new Error('no Headers tab in the editor tools');
  if (!headersState.tabActive || headersState.visibleEditors !== 1 || headersState.value === null) {
    throw new Error(`the Headers editor is not open by default (${JSON.stringify(headersState)})`);
  }
  let template;
  try {
    template = JSON.parse(headersState.value);
  } catch {
    throw new Error(`the Headers editor does not hold JSON: ${headersState.value}`);
  }
  if (template.Authorization !== TEMPLATE) {
    throw new Error(`the Headers editor does not offer {"Authorization": "${TEMPLATE}"}: ${headersState.value}`);
  }

  step = 'filling in the headers and the query';
  const filled = await page.evaluate(
    ({ headers, query }) => {
      const visibleTool = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')].find(
        (el) => !el.classList.contains('hidden'),
      );
      const headersCm = visibleTool.querySelector('.CodeMirror').CodeMirror;
      const queryCm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
      headersCm.setValue(headers);
      queryCm.setValue(query);
      return { headers: headersCm.getValue(), query: queryCm.getValue() };
    },
    { headers: JSON.stringify({ Authorization: `Bearer ${token}` }), query: '{ me { username } }' },
  );
  if (!filled.headers.includes(token) || filled.query !== '{ me { username } }') {
    throw new Error(`could not set the editors: ${JSON.stringify(filled)}`);
  }

  step = 'running the query';
  await page.click('.graphiql-execute-button');
  const handle = await page.waitForFunction(
    () => {
      const cm = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror;
      const text = cm ? cm.getValue() : '';
      return text.includes('"username"') || text.includes('"errors"') ? text : false;
    },
    null,
    { timeout: 20_000 },
  );
  const text = await handle.jsonValue();
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    throw new Error(`the result pane does not hold JSON: ${text}`);
  }
  const username = result?.data?.me?.username;
  if (!username) throw new Error(`the query failed: ${text}`);
  if (expectedUser && username !== expectedUser) {
    throw new Error(`me.username is ${JSON.stringify(username)}, expected ${JSON.stringify(expectedUser)}`);
  }

  // Let late requests (fonts, lazy chunks) show up before judging.
  step = 'settling';
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
  return { title, username };
}

let timer;
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
});

let code = 0;
try {
  const { title, username } = await Promise.race([run(), timeout]);
  const issues = report();
  if (title !== 'datakeep GraphiQL') issues.unshift(`  title: ${JSON.stringify(title)}, expected "datakeep GraphiQL"`);
  if (issues.length) {
    console.error(`graphiql: FAIL: the query ran (me.username = ${username}) but:`);
    for (const l of issues) console.error(l);
    code = 1;
  } else {
    console.log(`graphiql: OK: GraphiQL rendered offline at ${pageUrl}, headers editor offered the token template, { me { username } } -> ${username}`);
  }
} catch (err) {
  console.error(`graphiql: FAIL while ${step}: ${err && err.message ? err.message : err}`);
  for (const l of report()) console.error(l);
  code = 1;
} finally {
  clearTimeout(timer);
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
