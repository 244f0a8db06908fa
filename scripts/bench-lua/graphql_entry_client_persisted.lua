-- graphql_entry_client.lua's document as an automatic persisted query:
-- only its hash (registered beforehand), in $PQ_CLIENT_HASH, as Apollo's
-- PersistedQueryLink sends it once the server knows it.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local hash = os.getenv("PQ_CLIENT_HASH")
request = function()
   local body = string.format('{"operationName":"EntryByKey","variables":{"key":"%s"},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"%s"}}}', random_key(), hash)
   return wrk.format("POST", "/graphql",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
response = check_graphql
