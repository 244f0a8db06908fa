#!/usr/bin/env node
// graphql-request against a running datakeep, in two majors:
//  - 4.3.0 (the last 4.x; CommonJS, cross-fetch/node-fetch 2, sends no
//    GraphQL Accept, only `*/*`, and parses a body as JSON only when the
//    content type starts with `application/json`: a server that always
//    answers application/graphql-response+json breaks every call);
//  - 7.x (ESM, global fetch, Accept `application/graphql-response+json,
//    application/json`), installed under the alias `graphql-request-7`.
//
//   cd tests/clients && npm ci --ignore-scripts
//   node graphql-request.mjs <base-url>      e.g. node graphql-request.mjs http://127.0.0.1:3000
//
// 4.x: register, token, storeEntry and entry(key) with `request()` and an
// Authorization header, the same read with a GraphQLClient over GET, and a
// missing key / an unknown field read as ClientError with their codes.
// 7.x: the same read with `request()` and with a GraphQLClient (the content
// type it got is checked), and the same two errors.
// Prints PASS lines; exit 0 when all pass, 1 when a check fails (with what
// the server sent), 2 on bad usage.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as v4 from 'graphql-request';
import * as v7 from 'graphql-request-7';

// 7.x does not export ./package.json, so read the installed files.
const installedVersion = (dir) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${dir}/package.json`, import.meta.url), 'utf8')).version;
const V4_VERSION = installedVersion('graphql-request');
const V7_VERSION = installedVersion('graphql-request-7');

const baseArg = process.argv[2];
if (!baseArg) {
  console.error('usage: node graphql-request.mjs <base-url>');
  process.exit(2);
}
let endpoint;
try {
  endpoint = new URL('/graphql', baseArg).href;
} catch {
  console.error(`graphql-request: not a URL: ${baseArg}`);
  process.exit(2);
}

class CheckFailed extends Error {}

function check(cond, message, detail) {
  if (!cond) {
    const extra = detail === undefined ? '' : `\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    throw new CheckFailed(`${message}${extra}`);
  }
}

function pass(message) {
  console.log(`PASS ${message}`);
}

// What a graphql-request error says about the server's answer.
function describeError(error) {
  const parts = [`${error?.name}: ${String(error?.message).split('\n')[0]}`];
  const response = error?.response;
  if (response) {
    const contentType = typeof response.headers?.get === 'function' ? response.headers.get('content-type') : undefined;
    parts.push(`status: ${response.status}, content-type: ${contentType}`);
    if (response.body !== undefined) parts.push(`body: ${response.body}`);
    else if (response.error !== undefined) parts.push(`body: ${response.error}`);
    if (response.errors) parts.push(`errors: ${JSON.stringify(response.errors)}`);
    if ('data' in response) parts.push(`data: ${JSON.stringify(response.data)}`);
  }
  return parts.join('\n  ');
}

async function call(what, promise) {
  try {
    return await promise;
  } catch (error) {
    throw new CheckFailed(`${what} failed: ${describeError(error)}`);
  }
}

async function expectClientError(what, ClientError, promise) {
  let error;
  try {
    const result = await promise;
    throw new CheckFailed(`${what} resolved instead of failing: ${JSON.stringify(result)}`);
  } catch (e) {
    if (e instanceof CheckFailed) throw e;
    error = e;
  }
  check(error instanceof ClientError, `${what}: expected a ClientError`, describeError(error));
  check(Array.isArray(error.response?.errors), `${what}: the ClientError has no GraphQL errors (the client could not read the answer)`, describeError(error));
  return error;
}

const codes = (error) => error.response.errors.map((e) => e.extensions?.code);

const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { id username } }`;
const TOKEN = `mutation Token($username: String!, $password: String!) { token(username: $username, password: $password) { accessToken } }`;
const STORE = `mutation Store($key: String!, $value: String!) { storeEntry(key: $key, value: $value) { id key value version } }`;
const ENTRY = `query Entry($key: String!) { entry(key: $key) { id key value version createdAt updatedAt } }`;
const BAD = `query Bad { entry(key: "x") { id nope } }`;

const suffix = randomBytes(4).toString('hex');
const username = `gqlreq_${suffix}`;
const password = 'correct horse battery';
const key = `graphql-request/${suffix}`;
const value = `value ${suffix} ✓`;

function checkEntry(label, entry, stored) {
  check(
    entry && entry.id === stored.id && entry.key === key && entry.value === value && entry.version === 1,
    `${label}: entry(key) answered something else`,
    { got: entry, stored },
  );
  check(typeof entry.createdAt === 'string' && typeof entry.updatedAt === 'string', `${label}: no createdAt/updatedAt`, entry);
}

async function withV4() {
  const label = `graphql-request ${V4_VERSION}`;
  const registered = await call(
    `${label} register`,
    v4.request(endpoint, REGISTER, {
      input: { username, email: `${username}@example.com`, password, fullName: 'graphql-request', age: 30, gender: 'f' },
    }),
  );
  check(registered?.register?.username === username, `${label}: register answered something else`, registered);

  const token = await call(`${label} token`, v4.request(endpoint, TOKEN, { username, password }));
  const accessToken = token?.token?.accessToken;
  check(typeof accessToken === 'string' && accessToken.length > 0, `${label}: token gave no accessToken`, token);
  const headers = { authorization: `Bearer ${accessToken}` };

  const stored = await call(`${label} storeEntry`, v4.request(endpoint, STORE, { key, value }, headers));
  check(stored?.storeEntry?.value === value && stored.storeEntry.version === 1, `${label}: storeEntry answered something else`, stored);

  const read = await call(`${label} entry`, v4.request(endpoint, ENTRY, { key }, headers));
  checkEntry(label, read?.entry, stored.storeEntry);
  pass(`${label}: register, token, storeEntry and entry(key) with request() + Authorization header`);

  // rawRequest shows the answer's headers: the server must have negotiated
  // application/json for 4.x's `Accept: */*`.
  const raw = await call(`${label} rawRequest`, v4.rawRequest(endpoint, ENTRY, { key }, headers));
  checkEntry(`${label} rawRequest`, raw?.data?.entry, stored.storeEntry);
  const contentType = raw.headers.get('content-type');
  check(contentType?.startsWith('application/json'), `${label}: answered ${contentType}, not application/json`);
  pass(`${label}: rawRequest answer is ${raw.status} ${contentType}`);

  // 4.x's GET path reads fetchOptions.jsonSerializer without a default
  // ("Cannot read properties of undefined (reading 'stringify')"), so pass it.
  const getClient = new v4.GraphQLClient(endpoint, { method: 'GET', headers, jsonSerializer: JSON });
  const viaGet = await call(`${label} entry over GET`, getClient.request(ENTRY, { key }));
  checkEntry(`${label} GET`, viaGet?.entry, stored.storeEntry);
  pass(`${label}: entry(key) with GraphQLClient over GET`);

  const missing = await expectClientError(
    `${label} missing key`,
    v4.ClientError,
    v4.request(endpoint, ENTRY, { key: `${key}/missing` }, headers),
  );
  check(codes(missing).includes('KEY_NOT_FOUND'), `${label}: a missing key gave codes ${JSON.stringify(codes(missing))}`, describeError(missing));
  check(missing.response.data?.entry === null, `${label}: a missing key did not answer data.entry null`, describeError(missing));
  const bad = await expectClientError(`${label} unknown field`, v4.ClientError, v4.request(endpoint, BAD, {}, headers));
  check(codes(bad).includes('GRAPHQL_VALIDATION_FAILED'), `${label}: an unknown field gave codes ${JSON.stringify(codes(bad))}`, describeError(bad));
  pass(`${label}: ClientError KEY_NOT_FOUND (data.entry null) and GRAPHQL_VALIDATION_FAILED (status ${bad.response.status})`);
  return { headers, stored: stored.storeEntry };
}

async function withV7({ headers, stored }) {
  const label = `graphql-request ${V7_VERSION}`;
  const read = await call(
    `${label} request()`,
    v7.request({ url: endpoint, document: ENTRY, variables: { key }, requestHeaders: headers }),
  );
  checkEntry(label, read?.entry, stored);

  const seen = [];
  const recordingFetch = async (input, init) => {
    const response = await fetch(input, init);
    seen.push({
      accept: new Headers(init?.headers).get('accept'),
      status: response.status,
      contentType: response.headers.get('content-type'),
    });
    return response;
  };
  const client = new v7.GraphQLClient(endpoint, { headers, fetch: recordingFetch });
  const viaClient = await call(`${label} GraphQLClient`, client.request(ENTRY, { key }));
  checkEntry(`${label} GraphQLClient`, viaClient?.entry, stored);
  const answer = seen[seen.length - 1];
  pass(`${label}: entry(key) with request() and GraphQLClient (Accept: ${answer.accept} -> ${answer.status} ${answer.contentType})`);

  const missing = await expectClientError(`${label} missing key`, v7.ClientError, client.request(ENTRY, { key: `${key}/missing` }));
  check(codes(missing).includes('KEY_NOT_FOUND'), `${label}: a missing key gave codes ${JSON.stringify(codes(missing))}`, describeError(missing));
  const bad = await expectClientError(`${label} unknown field`, v7.ClientError, client.request(BAD));
  check(codes(bad).includes('GRAPHQL_VALIDATION_FAILED'), `${label}: an unknown field gave codes ${JSON.stringify(codes(bad))}`, describeError(bad));
  const badAnswer = seen[seen.length - 1];
  pass(`${label}: ClientError KEY_NOT_FOUND and GRAPHQL_VALIDATION_FAILED (${badAnswer.status} ${badAnswer.contentType})`);
}

try {
  const state = await withV4();
  await withV7(state);
  console.log('graphql-request: all checks passed');
  process.exit(0);
} catch (error) {
  if (error instanceof CheckFailed) {
    console.error(`FAIL ${error.message}`);
  } else {
    console.error(`FAIL unexpected error: ${describeError(error)}\n${error?.stack ?? ''}`);
  }
  process.exit(1);
}
