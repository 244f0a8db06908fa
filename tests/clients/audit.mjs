// The graphql-http package's GraphQL-over-HTTP server audit against a
// running datakeep: every MUST and every SHOULD must pass (a MAY that is
// not done is a "notice" and is only listed).
//
//   node audit.mjs <base-url>        e.g. node audit.mjs http://127.0.0.1:3000

import { auditServer } from 'graphql-http';

const base = process.argv[2];
if (!base) {
  console.error('usage: node audit.mjs <base-url>');
  process.exit(2);
}

const results = await auditServer({ url: new URL('/graphql', base).href });
let failed = 0;
for (const result of results) {
  const line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    continue;
  }
  if (result.status === 'notice') {
    console.log(line);
    continue;
  }
  failed += 1;
  const response = result.response
    ? ` (got ${result.response.status} ${result.response.headers.get('content-type')})`
    : '';
  console.error(`${line}: ${result.reason}${response}`);
}
const passed = results.filter((r) => r.status === 'ok').length;
console.log(`${passed} of ${results.length} audits passed; ${failed} MUST/SHOULD failures`);
process.exit(failed === 0 ? 0 : 1);
