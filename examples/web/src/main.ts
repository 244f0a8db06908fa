// A typed GraphQL client for datakeep: registers a fresh account, logs in,
// stores entries, pages through them, updates one and reads it back,
// checking every answer on the way. The documents below are typed by
// graphql-codegen (client-preset) from ../../schema.graphql: run
// `npm run codegen` after changing one of them.
//
// Usage: node dist/main.js <server base URL>   (e.g. http://127.0.0.1:3000)
// Exits 0 after printing a summary, or 1 after printing what failed.

import { randomBytes } from "node:crypto";
import {
  Client,
  fetchExchange,
  type AnyVariables,
  type CombinedError,
  type TypedDocumentNode,
} from "@urql/core";
import { getFragmentData, graphql } from "./gql/index.js";
import type { EntriesQuery as EntriesPage, EntryFieldsFragment } from "./gql/graphql.js";

// ---------------------------------------------------------------------------
// Documents

const EntryFields = graphql(`
  fragment EntryFields on Entry {
    id
    key
    value
    version
    createdAt
    updatedAt
  }
`);

const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      id
      username
      createdAt
    }
  }
`);

const TokenMutation = graphql(`
  mutation Token($username: String!, $password: String!) {
    token(username: $username, password: $password) {
      accessToken
      tokenType
      expiresIn
    }
  }
`);

const StoreEntryMutation = graphql(`
  mutation StoreEntry($key: String!, $value: String!) {
    storeEntry(key: $key, value: $value) {
      ...EntryFields
    }
  }
`);

const EntriesQuery = graphql(`
  query Entries($prefix: String, $first: Int, $after: String) {
    entries(prefix: $prefix, first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...EntryFields
      }
    }
  }
`);

const UpdateEntryMutation = graphql(`
  mutation UpdateEntry($key: String!, $value: String!) {
    updateEntry(key: $key, value: $value) {
      ...EntryFields
    }
  }
`);

const EntryQuery = graphql(`
  query Entry($key: String!) {
    entry(key: $key) {
      ...EntryFields
    }
  }
`);

// ---------------------------------------------------------------------------
// Plumbing

const REQUEST_TIMEOUT_MS = 15_000;
const PAGE_SIZE = 2;
const MAX_PAGES = 50;

/** A check or request that failed; `step` says which part of the run. */
class StepFailed extends Error {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(detail);
    this.name = "StepFailed";
  }
}

function check(step: string, condition: boolean, detail: string): asserts condition {
  if (!condition) throw new StepFailed(step, detail);
}

/** Every GraphQL error with its `extensions.code`, or the network error. */
function describeError(error: CombinedError): string {
  if (error.networkError) {
    const status = error.response instanceof Response ? ` (HTTP ${error.response.status})` : "";
    const cause = error.networkError.cause;
    const why = cause instanceof Error ? ` (${cause.message})` : "";
    return `network error${status}: ${error.networkError.message}${why}`;
  }
  return error.graphQLErrors
    .map((e) => {
      const code = e.extensions["code"];
      const path = e.path ? ` at ${e.path.join(".")}` : "";
      return `GraphQL error ${typeof code === "string" ? code : "(no extensions.code)"}${path}: ${e.message}`;
    })
    .join("; ");
}

/** The server's /graphql for a base URL such as http://127.0.0.1:3000. */
function graphqlUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new StepFailed("arguments", `not a URL: ${JSON.stringify(base)}`);
  }
  check("arguments", url.protocol === "http:" || url.protocol === "https:", `not an http(s) URL: ${base}`);
  return new URL("graphql", url.href.endsWith("/") ? url.href : `${url.href}/`).href;
}

/** Node's fetch with a deadline, keeping urql's own abort signal. */
const fetchWithTimeout: typeof fetch = (input, init) => {
  const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS)];
  if (init?.signal) signals.push(init.signal);
  return fetch(input, { ...init, signal: AbortSignal.any(signals) });
};

class Api {
  private accessToken: string | null = null;
  private readonly client: Client;

  constructor(readonly url: string) {
    this.client = new Client({
      url,
      // No cache: every operation goes to the server.
      exchanges: [fetchExchange],
      requestPolicy: "network-only",
      // POST for queries too (urql would use GET for short ones).
      preferGetMethod: false,
      fetch: fetchWithTimeout,
      fetchOptions: () => ({
        headers: {
          "user-agent": "datakeep-web-example",
          ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        },
      }),
    });
  }

  /** Sends `Authorization: Bearer <token>` from now on. */
  useToken(accessToken: string): void {
    this.accessToken = accessToken;
  }

  query<Data, Variables extends AnyVariables>(
    step: string,
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    return this.settle(step, this.client.query(document, variables).toPromise());
  }

  mutation<Data, Variables extends AnyVariables>(
    step: string,
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    return this.settle(step, this.client.mutation(document, variables).toPromise());
  }

  /** The data, or a failure for any error at all (partial data included). */
  private async settle<Data>(
    step: string,
    pending: Promise<{ data?: Data | undefined; error?: CombinedError | undefined }>,
  ): Promise<Data> {
    const result = await pending;
    if (result.error) throw new StepFailed(step, describeError(result.error));
    if (result.data == null) throw new StepFailed(step, "the response has no data");
    return result.data;
  }
}

/** Compares as the server orders keys: byte for byte in UTF-8. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Milliseconds since the epoch of an RFC 3339 `DateTime`, or a failure. */
function parseDateTime(step: string, field: string, value: string): number {
  const ms = new Date(value).getTime();
  check(step, !Number.isNaN(ms), `${field} is not a date: ${JSON.stringify(value)}`);
  return ms;
}

// ---------------------------------------------------------------------------
// The run

const SETTINGS: ReadonlyArray<readonly [key: string, value: string]> = [
  ["settings/theme", "light"],
  ["settings/language", "en-GB"],
  ["settings/timezone", "Europe/Berlin"],
  ["settings/notifications", "weekly"],
  ["settings/font-size", "14"],
];
/** Stored too, but outside the prefix: the listing must not show it. */
const OUTSIDE_PREFIX = ["profile/nickname", "web"] as const;
const PREFIX = "settings/";
const UPDATED_KEY = "settings/theme";
const UPDATED_VALUE = "dark";

async function run(baseUrl: string, say: (step: string, line: string) => void): Promise<void> {
  const api = new Api(graphqlUrl(baseUrl));
  console.log(`datakeep web example against ${api.url}`);

  // 1. A fresh account.
  const username = `web_${randomBytes(6).toString("hex")}`;
  const password = `${randomBytes(15).toString("base64url")}-Aa1`;
  const { register: user } = await api.mutation("register", RegisterMutation, {
    input: {
      username,
      email: `${username}@example.com`,
      password,
      fullName: "Web Example",
      age: 30,
      gender: "unspecified",
    },
  });
  check("register", user.username === username, `registered as ${user.username}, not ${username}`);
  parseDateTime("register", "User.createdAt", user.createdAt);
  say("register", `${user.username} (user id ${user.id})`);

  // 2. Log in; every later request carries the access token.
  const { token } = await api.mutation("token", TokenMutation, { username, password });
  check("token", token.tokenType === "Bearer", `tokenType is ${JSON.stringify(token.tokenType)}`);
  check("token", token.accessToken.length > 0, "empty accessToken");
  check("token", token.expiresIn > 0, `expiresIn is ${token.expiresIn}`);
  api.useToken(token.accessToken);
  say("token", `${token.tokenType} token, expires in ${token.expiresIn} s`);

  // 3. Store the entries.
  const stored = new Map<string, EntryFieldsFragment>();
  for (const [key, value] of [...SETTINGS, OUTSIDE_PREFIX]) {
    const step = `storeEntry ${key}`;
    const data = await api.mutation(step, StoreEntryMutation, { key, value });
    const entry = getFragmentData(EntryFields, data.storeEntry);
    check(step, entry.key === key && entry.value === value, `stored ${JSON.stringify(entry)}`);
    check(step, entry.version === 1, `a new entry has version ${entry.version}`);
    check(step, entry.id.length > 0, "empty id");
    parseDateTime(step, "createdAt", entry.createdAt);
    parseDateTime(step, "updatedAt", entry.updatedAt);
    stored.set(key, entry);
  }
  say("storeEntry", `${stored.size} entries (${SETTINGS.length} under ${PREFIX}), each at version 1`);

  // 4. Page through the prefix, PAGE_SIZE at a time.
  const listed: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    pages += 1;
    const step = `entries page ${pages}`;
    check(step, pages <= MAX_PAGES, `still more pages after ${MAX_PAGES}`);
    // Annotated: `after` comes from the previous page, which TypeScript
    // cannot infer through the loop on its own.
    const { entries }: EntriesPage = await api.query(step, EntriesQuery, {
      prefix: PREFIX,
      first: PAGE_SIZE,
      after,
    });
    const nodes = entries.nodes.map((node) => getFragmentData(EntryFields, node));
    check(step, nodes.length <= PAGE_SIZE, `${nodes.length} entries for first: ${PAGE_SIZE}`);
    for (const entry of nodes) {
      const mine = stored.get(entry.key);
      check(step, mine !== undefined, `listed a key that was not stored: ${entry.key}`);
      check(step, entry.id === mine.id, `${entry.key} is listed with id ${entry.id}, stored as ${mine.id}`);
      listed.push(entry.key);
    }
    if (!entries.pageInfo.hasNextPage) break;
    check(step, nodes.length > 0, "an empty page that says there is a next one");
    check(step, entries.pageInfo.endCursor != null, "hasNextPage without an endCursor");
    after = entries.pageInfo.endCursor;
  }
  const expected = SETTINGS.map(([key]) => key).sort(byteOrder);
  check(
    "entries",
    JSON.stringify(listed) === JSON.stringify(expected),
    `listed ${JSON.stringify(listed)}, expected ${JSON.stringify(expected)}`,
  );
  say("entries", `${listed.length} keys in ${pages} pages of first: ${PAGE_SIZE}, in byte order`);

  // 5. Update one: the version goes 1 -> 2, the id and createdAt stay.
  const before = stored.get(UPDATED_KEY);
  check("updateEntry", before !== undefined, `${UPDATED_KEY} was not stored`);
  const updatedData = await api.mutation("updateEntry", UpdateEntryMutation, {
    key: UPDATED_KEY,
    value: UPDATED_VALUE,
  });
  const updated = getFragmentData(EntryFields, updatedData.updateEntry);
  check("updateEntry", updated.key === UPDATED_KEY, `updated ${updated.key}`);
  check("updateEntry", updated.value === UPDATED_VALUE, `value is ${JSON.stringify(updated.value)}`);
  check(
    "updateEntry",
    before.version === 1 && updated.version === 2,
    `version went ${before.version} -> ${updated.version}`,
  );
  check("updateEntry", updated.id === before.id, `id changed from ${before.id} to ${updated.id}`);
  const createdAt = parseDateTime("updateEntry", "createdAt", updated.createdAt);
  const updatedAt = parseDateTime("updateEntry", "updatedAt", updated.updatedAt);
  check(
    "updateEntry",
    createdAt === parseDateTime("updateEntry", "stored createdAt", before.createdAt),
    `createdAt changed from ${before.createdAt} to ${updated.createdAt}`,
  );
  check(
    "updateEntry",
    updatedAt >= createdAt,
    `updatedAt ${updated.updatedAt} is before createdAt ${updated.createdAt}`,
  );
  say(
    "updateEntry",
    `${UPDATED_KEY}: version ${before.version} -> ${updated.version}, updatedAt ${new Date(updatedAt).toISOString()}`,
  );

  // 6. Read it back.
  const { entry: read } = await api.query("entry", EntryQuery, { key: UPDATED_KEY });
  check("entry", read != null, `entry(key: ${JSON.stringify(UPDATED_KEY)}) is null`);
  const entry = getFragmentData(EntryFields, read);
  check(
    "entry",
    entry.value === UPDATED_VALUE,
    `value is ${JSON.stringify(entry.value)}, expected ${JSON.stringify(UPDATED_VALUE)}`,
  );
  check("entry", entry.version === 2, `version is ${entry.version}`);
  check("entry", entry.id === before.id, `id is ${entry.id}, stored as ${before.id}`);
  check(
    "entry",
    entry.updatedAt === updated.updatedAt,
    `updatedAt is ${entry.updatedAt}, the update said ${updated.updatedAt}`,
  );
  say(
    "entry",
    `${entry.key} = ${JSON.stringify(entry.value)}, version ${entry.version}, id ${entry.id} as when stored`,
  );
}

async function main(): Promise<number> {
  const say = (step: string, line: string) => console.log(`ok   ${step.padEnd(11)} ${line}`);
  const baseUrl = process.argv[2];
  if (baseUrl === undefined || process.argv.length > 3) {
    console.error("usage: npm start -- <server base URL>   (e.g. http://127.0.0.1:3000)");
    return 1;
  }
  try {
    await run(baseUrl, say);
  } catch (error) {
    if (error instanceof StepFailed) {
      console.error(`FAIL ${error.step}: ${error.message}`);
    } else {
      console.error("FAIL unexpected error:", error);
    }
    return 1;
  }
  console.log("PASS the typed client registered, logged in, stored, listed, updated and read back entries");
  return 0;
}

process.exitCode = await main();
