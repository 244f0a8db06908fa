#!/usr/bin/env node
// Apollo Client 4 against a running datakeep: the things real Apollo users
// depend on.
//
//   cd tests/clients && npm ci --ignore-scripts
//   node apollo.mjs <base-url>          e.g. node apollo.mjs http://127.0.0.1:3000
//
// Checks, each printed as a PASS line:
//   1. register + token mutations, then the bearer token sent by a
//      SetContextLink (`me` answers the new account);
//   2. the normalised InMemoryCache: an entry read with `entry(key)` is
//      updated in the cache by an `updateEntry` that selects only
//      `id value version` (Apollo normalises by `__typename:id`), so a
//      `cache-only` read sees the new value and version;
//   3. automatic persisted queries through PersistedQueryLink, once with
//      `useGETForHashedQueries: true` and once over POST: the first run sends
//      the hash only, gets PERSISTED_QUERY_NOT_FOUND and retries with the
//      text; the second run sends the hash only and gets data (checked on the
//      wire by a recording fetch);
//   4. errors: a document with an unknown field fails validation; Apollo
//      (default Accept, application/graphql-response+json first) and a
//      legacy `Accept: application/json` client both surface it as a
//      CombinedGraphQLErrors with extensions.code GRAPHQL_VALIDATION_FAILED;
//      a missing key is `entry: null` plus KEY_NOT_FOUND under
//      errorPolicy "all".
// DATAKEEP_WIRE=1 prints every request and its answer to stderr at the end.
// Exit 0 when all pass; 1 when a check fails (with what the server sent);
// 2 on bad usage.

import { createHash, randomBytes } from 'node:crypto';
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  gql,
} from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const baseArg = process.argv[2];
if (!baseArg) {
  console.error('usage: node apollo.mjs <base-url>');
  process.exit(2);
}
let endpoint;
try {
  endpoint = new URL('/graphql', baseArg).href;
} catch {
  console.error(`apollo: not a URL: ${baseArg}`);
  process.exit(2);
}

class CheckFailed extends Error {}

function check(cond, message, detail) {
  if (!cond) {
    const extra = detail === undefined ? '' : `\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2).replace(/\n/g, '\n  ')}`;
    throw new CheckFailed(`${message}${extra}`);
  }
}

function pass(message) {
  console.log(`PASS ${message}`);
}

// Every request any client makes goes through here, so the checks can see
// what went over the wire and what came back.
const wire = [];
function recordingFetch(label) {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    const method = (init.method || 'GET').toUpperCase();
    let body;
    if (typeof init.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const headers = new Headers(init.headers);
    const response = await fetch(input, init);
    const text = await response.clone().text();
    wire.push({
      label,
      method,
      url,
      accept: headers.get('accept'),
      authorization: headers.get('authorization'),
      body,
      status: response.status,
      contentType: response.headers.get('content-type'),
      responseText: text,
    });
    return response;
  };
}

function describe(record) {
  if (!record) return '(no request recorded)';
  return [
    `${record.method} ${record.url}`,
    `request body: ${record.body === undefined ? '(none)' : JSON.stringify(record.body)}`,
    `accept: ${record.accept}`,
    `-> ${record.status} ${record.contentType}`,
    `   ${record.responseText}`,
  ].join('\n  ');
}

function errorDetail(error) {
  if (!error) return '(no error)';
  const parts = [`${error.name}: ${error.message}`];
  if (error.errors) parts.push(`errors: ${JSON.stringify(error.errors)}`);
  if (error.statusCode) parts.push(`status: ${error.statusCode}`);
  if (error.bodyText) parts.push(`body: ${error.bodyText}`);
  const last = wire[wire.length - 1];
  if (last) parts.push(`last request: ${describe(last)}`);
  return parts.join('\n  ');
}

// Runs an Apollo call; on a rejection, shows what the server sent.
async function apollo(what, promise) {
  try {
    return await promise;
  } catch (error) {
    throw new CheckFailed(`${what} failed: ${errorDetail(error)}`);
  }
}

const suffix = randomBytes(4).toString('hex');
const username = `apollo_${suffix}`;
const password = 'correct horse battery';
let accessToken = null;

const authLink = new SetContextLink((prevContext) =>
  accessToken
    ? { headers: { ...prevContext.headers, authorization: `Bearer ${accessToken}` } }
    : {},
);

function makeClient(label, { persisted, httpOptions = {} } = {}) {
  const http = new HttpLink({ uri: endpoint, fetch: recordingFetch(label), ...httpOptions });
  const links = [authLink];
  if (persisted) {
    links.push(
      new PersistedQueryLink({
        sha256: (q) => createHash('sha256').update(q).digest('hex'),
        useGETForHashedQueries: persisted === 'GET',
      }),
    );
  }
  links.push(http);
  return new ApolloClient({ link: ApolloLink.from(links), cache: new InMemoryCache() });
}

const ENTRY_FIELDS = 'id key value version createdAt updatedAt';

async function accountAndToken(client) {
  const registered = await apollo(
    'register',
    client.mutate({
      mutation: gql`
        mutation Register($input: RegisterInput!) {
          register(input: $input) { id username }
        }
      `,
      variables: {
        input: {
          username,
          email: `${username}@example.com`,
          password,
          fullName: 'Apollo Client',
          age: 30,
          gender: 'f',
        },
      },
    }),
  );
  check(registered.data?.register?.username === username, 'register did not answer the new user', registered);

  const token = await apollo(
    'token',
    client.mutate({
      mutation: gql`
        mutation Token($username: String!, $password: String!) {
          token(username: $username, password: $password) { accessToken tokenType expiresIn }
        }
      `,
      variables: { username, password },
    }),
  );
  accessToken = token.data?.token?.accessToken;
  check(typeof accessToken === 'string' && accessToken.length > 0, 'token gave no accessToken', token);

  const me = await apollo(
    'me with the bearer token',
    client.query({ query: gql`query Me { me { id username } }`, fetchPolicy: 'network-only' }),
  );
  check(me.data?.me?.username === username, 'me did not answer the new account', me);
  const sent = wire[wire.length - 1];
  check(sent.authorization === `Bearer ${accessToken}`, 'the SetContextLink did not send the bearer token', describe(sent));
  pass(`register + token + Authorization via SetContextLink (me = ${username})`);
}

async function normalisedCache(client) {
  const key = `apollo/cache/${suffix}`;
  const stored = await apollo(
    'storeEntry',
    client.mutate({
      mutation: gql`
        mutation Store($key: String!, $value: String!) {
          storeEntry(key: $key, value: $value) { ${ENTRY_FIELDS} }
        }
      `,
      variables: { key, value: 'first' },
    }),
  );
  const entry0 = stored.data?.storeEntry;
  check(entry0?.value === 'first' && entry0?.version === 1 && entry0?.id, 'storeEntry answered something else', stored);

  const ENTRY = gql`
    query Entry($key: String!) {
      entry(key: $key) { ${ENTRY_FIELDS} }
    }
  `;
  // A fresh cache for the read, so the cache-first read really goes to the
  // server (the mutation result above is already normalised into the cache).
  await client.clearStore();
  let before = wire.length;
  const read1 = await apollo('entry (cache-first)', client.query({ query: ENTRY, variables: { key }, fetchPolicy: 'cache-first' }));
  check(wire.length === before + 1, `the first cache-first read made ${wire.length - before} requests, not 1`);
  check(read1.data?.entry?.id === entry0.id && read1.data.entry.value === 'first', 'entry(key) answered something else', read1);
  const cacheId = client.cache.identify(read1.data.entry);
  check(cacheId === `Entry:${entry0.id}`, `the cache id is ${cacheId}, not Entry:${entry0.id}`);

  before = wire.length;
  const read2 = await apollo('entry (cache-first, again)', client.query({ query: ENTRY, variables: { key }, fetchPolicy: 'cache-first' }));
  check(wire.length === before, 'the second cache-first read went to the network');
  check(read2.data?.entry?.value === 'first', 'the cached entry is not the stored one', read2);

  const updated = await apollo(
    'updateEntry',
    client.mutate({
      mutation: gql`
        mutation Update($key: String!, $value: String!) {
          updateEntry(key: $key, value: $value) { id value version }
        }
      `,
      variables: { key, value: 'second' },
    }),
  );
  const u = updated.data?.updateEntry;
  check(u?.id === entry0.id, `updateEntry answered id ${u?.id}, not the stored entry's ${entry0.id} (ids must be stable across writes)`, updated);
  check(u.value === 'second' && u.version === 2, 'updateEntry answered something else', updated);

  before = wire.length;
  const read3 = await apollo('entry (cache-only)', client.query({ query: ENTRY, variables: { key }, fetchPolicy: 'cache-only' }));
  check(wire.length === before, 'the cache-only read went to the network');
  check(
    read3.data?.entry?.value === 'second' && read3.data.entry.version === 2,
    'the cache-only read did not see the update: Apollo did not normalise Entry by __typename:id',
    { cacheOnly: read3.data, cache: client.cache.extract() },
  );
  check(read3.data.entry.key === key && read3.data.entry.createdAt === entry0.createdAt, 'fields the update did not select were lost from the cache', read3.data);
  pass(`normalised cache: updateEntry { id value version } updated ${cacheId} in place (cache-only read: value "second", version 2)`);
  return key;
}

function isHashOnly(record) {
  if (record.method === 'GET') {
    const params = new URL(record.url).searchParams;
    const ext = params.get('extensions');
    return !params.has('query') && !!ext && !!JSON.parse(ext).persistedQuery?.sha256Hash;
  }
  return (
    record.body && typeof record.body === 'object' && !('query' in record.body) && !!record.body.extensions?.persistedQuery?.sha256Hash
  );
}

function hasData(record) {
  try {
    const json = JSON.parse(record.responseText);
    return record.status === 200 && json.data && typeof json.data === 'object' && !json.errors;
  } catch {
    return false;
  }
}

async function persistedQueries(mode, key) {
  const client = makeClient(`apq-${mode}`, { persisted: mode });
  const label = `apq-${mode}`;
  // The operation name makes the document (and so its hash) new to the server.
  const op = `ApqEntry_${mode}_${suffix}`;
  const query = gql(`query ${op}($key: String!) { entry(key: $key) { id key value version } }`);
  const mine = () => wire.filter((r) => r.label === label);

  // Run 1: hash only -> PERSISTED_QUERY_NOT_FOUND -> retry with the text.
  let start = mine().length;
  const first = await apollo(`APQ (${mode}) first run`, client.query({ query, variables: { key }, fetchPolicy: 'network-only' }));
  check(first.data?.entry?.key === key, `APQ (${mode}) first run answered something else`, first);
  let sent = mine().slice(start);
  check(sent.length === 2, `APQ (${mode}) first run made ${sent.length} requests, not 2 (hash only, then hash + text)`, sent.map(describe).join('\n  '));
  check(isHashOnly(sent[0]), `APQ (${mode}) first request was not hash-only`, describe(sent[0]));
  check(sent[0].method === mode, `APQ (${mode}) first request used ${sent[0].method}`, describe(sent[0]));
  const notFound = JSON.parse(sent[0].responseText);
  check(
    notFound.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND' || e.message === 'PersistedQueryNotFound'),
    `APQ (${mode}) the hash-only request of a new document did not answer PERSISTED_QUERY_NOT_FOUND`,
    describe(sent[0]),
  );
  check(!isHashOnly(sent[1]) && hasData(sent[1]), `APQ (${mode}) the retry with the text did not answer data`, describe(sent[1]));

  // Runs 2 and 3: hash only, answered with data.
  for (const run of [2, 3]) {
    start = mine().length;
    const again = await apollo(`APQ (${mode}) run ${run}`, client.query({ query, variables: { key }, fetchPolicy: 'network-only' }));
    check(again.data?.entry?.key === key, `APQ (${mode}) run ${run} answered something else`, again);
    sent = mine().slice(start);
    check(sent.length === 1, `APQ (${mode}) run ${run} made ${sent.length} requests, not 1`, sent.map(describe).join('\n  '));
    check(sent[0].method === mode && isHashOnly(sent[0]), `APQ (${mode}) run ${run} was not a hash-only ${mode}`, describe(sent[0]));
    check(hasData(sent[0]), `APQ (${mode}) run ${run}: the server did not answer data to the hash-only request`, describe(sent[0]));
  }
  const last = sent[0];
  pass(
    `APQ ${mode}: first run hash-only -> PERSISTED_QUERY_NOT_FOUND -> retried with text; later runs hash-only ${mode} -> ${last.status} ${last.contentType} with data`,
  );

  if (mode === 'GET') {
    // Mutations never go over GET, even with useGETForHashedQueries.
    const mutation = gql(`mutation ApqUpdate_${suffix}($key: String!, $value: String!) { updateEntry(key: $key, value: $value) { id value version } }`);
    const values = ['via-apq-1', 'via-apq-2'];
    const methods = [];
    for (const value of values) {
      start = mine().length;
      const result = await apollo(`APQ (${mode}) mutation`, client.mutate({ mutation, variables: { key, value } }));
      check(result.data?.updateEntry?.value === value, 'APQ mutation answered something else', result);
      methods.push(...mine().slice(start).map((r) => `${r.method}${isHashOnly(r) ? '(hash)' : '(text)'}`));
    }
    check(methods.every((m) => m.startsWith('POST')), `APQ mutation requests were ${methods.join(', ')}`);
    check(methods[methods.length - 1] === 'POST(hash)', `the repeated APQ mutation was ${methods[methods.length - 1]}, not a hash-only POST`);
    pass(`APQ mutation under useGETForHashedQueries goes over POST (${methods.join(', ')})`);
  }
}

async function validationError(label, httpOptions, expected) {
  const client = makeClient(label, { httpOptions });
  const start = wire.length;
  let error;
  try {
    const result = await client.query({
      query: gql`query Bad { entry(key: "x") { id nope } }`,
      fetchPolicy: 'network-only',
    });
    throw new CheckFailed(`${label}: a query with an unknown field resolved instead of failing: ${JSON.stringify(result)}\n  ${describe(wire[wire.length - 1])}`);
  } catch (e) {
    if (e instanceof CheckFailed) throw e;
    error = e;
  }
  const sent = wire[start];
  check(sent, `${label}: no request was sent`);
  check(
    CombinedGraphQLErrors.is(error),
    `${label}: Apollo surfaced a ${error?.name}, not CombinedGraphQLErrors (Apollo could not read the server's answer)`,
    errorDetail(error),
  );
  const codes = error.errors.map((e) => e.extensions?.code);
  check(codes.includes('GRAPHQL_VALIDATION_FAILED'), `${label}: error codes were ${JSON.stringify(codes)}`, errorDetail(error));
  check(sent.status === expected.status, `${label}: status ${sent.status}, expected ${expected.status}`, describe(sent));
  check(sent.contentType?.startsWith(expected.contentType), `${label}: content type ${sent.contentType}, expected ${expected.contentType}`, describe(sent));
  const body = JSON.parse(sent.responseText);
  if (expected.noData) {
    check(!('data' in body), `${label}: a request error (before execution) answered a "data" entry`, describe(sent));
  }
  pass(
    `${label}: unknown field -> ${sent.status} ${sent.contentType}${'data' in body ? '' : ' (no data)'} -> CombinedGraphQLErrors ${codes.join(',')} (Accept: ${sent.accept})`,
  );
}

async function executionError(client) {
  const missing = `apollo/missing/${suffix}`;
  const result = await apollo(
    'entry of a missing key (errorPolicy all)',
    client.query({
      query: gql`query Missing($key: String!) { entry(key: $key) { id value } }`,
      variables: { key: missing },
      fetchPolicy: 'network-only',
      errorPolicy: 'all',
    }),
  );
  check(result.data && result.data.entry === null, 'a missing key did not answer entry: null', result);
  check(CombinedGraphQLErrors.is(result.error), 'a missing key did not give a CombinedGraphQLErrors', errorDetail(result.error));
  const codes = result.error.errors.map((e) => e.extensions?.code);
  check(codes.includes('KEY_NOT_FOUND'), `a missing key gave codes ${JSON.stringify(codes)}`, errorDetail(result.error));
  pass('missing key under errorPolicy "all": data.entry null + CombinedGraphQLErrors KEY_NOT_FOUND');
}

// DATAKEEP_WIRE=1 prints every request and answer (to stderr) at the end.
process.on('exit', () => {
  if (process.env.DATAKEEP_WIRE) for (const r of wire) console.error(`[${r.label}] ${describe(r)}`);
});

try {
  const main = makeClient('main');
  await accountAndToken(main);
  const key = await normalisedCache(main);
  await persistedQueries('GET', key);
  await persistedQueries('POST', key);
  await validationError('validation error, Apollo default Accept', {}, {
    status: 400,
    contentType: 'application/graphql-response+json',
    noData: true,
  });
  await validationError('validation error, Accept: application/json', { headers: { accept: 'application/json' } }, {
    status: 200,
    contentType: 'application/json',
  });
  await executionError(main);
  console.log('apollo: all checks passed');
  process.exit(0);
} catch (error) {
  if (error instanceof CheckFailed) {
    console.error(`FAIL ${error.message}`);
  } else {
    console.error(`FAIL unexpected error: ${errorDetail(error)}\n${error?.stack ?? ''}`);
  }
  process.exit(1);
}
