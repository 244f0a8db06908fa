// Renders the GraphiQL playground served at GET /graphql (see index.html).
// Loaded as a same-origin script (the page's CSP is script-src 'self'); it
// relies on the React, ReactDOM and GraphiQL globals of the vendored UMD builds.
(function () {
  'use strict';

  var TOKEN_PLACEHOLDER = '<paste your accessToken here>';

  var DEFAULT_HEADERS = JSON.stringify(
    { Authorization: 'Bearer ' + TOKEN_PLACEHOLDER },
    null,
    2
  );

  var DEFAULT_QUERY = [
    '# datakeep GraphiQL. Most fields need an access token,',
    '# sent from the Headers tab below.',
    '#',
    '# 1. No account yet? Register one:',
    '#      mutation { register(input: {',
    '#        username: "alice", email: "alice@example.com",',
    '#        password: "correct horse battery staple",',
    '#        fullName: "Alice", age: 30, gender: "f"}) { id } }',
    '# 2. Get a token:',
    '#      mutation { token(username: "alice",',
    '#        password: "correct horse battery staple") {',
    '#        accessToken expiresIn } }',
    '# 3. Paste "accessToken" into the Headers tab, in place',
    '#    of ' + TOKEN_PLACEHOLDER + '.',
    '#',
    '# Then run this query (Ctrl-Enter or the run button):',
    '',
    'query {',
    '  me {',
    '    username',
    '  }',
    '  entries(first: 10) {',
    '    nodes {',
    '      key',
    '      value',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var container = document.getElementById('graphiql');
  // Set through the CSSOM rather than an inline style attribute or <style>.
  document.documentElement.style.height = '100%';
  document.body.style.height = '100%';
  document.body.style.margin = '0';
  container.style.height = '100vh';

  var fetcher = GraphiQL.createFetcher({
    url: new URL('/graphql', window.location.href).toString()
  });

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // Headers (so the token) are kept in memory only; a user can turn
      // persistence on in GraphiQL's settings dialog.
      shouldPersistHeaders: false
    })
  );
})();
