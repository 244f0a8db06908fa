-- The GraphQL `entry` query as a typed client sends it (Apollo Client adds
-- `__typename`; the example app's fragment selects every field), in full
-- text; graphql_entry_client_persisted.lua sends only its hash.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local query = "query EntryByKey($key: String!) { entry(key: $key) { __typename id key value version createdAt updatedAt } }"
request = function()
   local body = string.format('{"operationName":"EntryByKey","query":"%s","variables":{"key":"%s"}}', query, random_key())
   return wrk.format("POST", "/graphql",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
response = check_graphql
