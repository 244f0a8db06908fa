import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the documents in src/ (written with the generated `graphql()`),
// checked against the server's schema. Run with `npm run codegen`.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // `getFragmentData` rather than the React-sounding `useFragment`.
        fragmentMasking: { unmaskFunctionName: "getFragmentData" },
      },
      config: {
        // RFC 3339 strings on the wire; without this they would be `any`.
        scalars: { DateTime: "string" },
        // Fail codegen if the schema grows a scalar nobody mapped.
        strictScalars: true,
        // A nullable field that was selected is always in the answer: type it
        // `T | null`, not `T | null | undefined` (`endCursor?:`).
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        useTypeImports: true,
        // Imports with `.js`, as Node's ES modules need.
        emitLegacyCommonJSImports: false,
      },
    },
  },
  ignoreNoDocuments: false,
};

export default config;
