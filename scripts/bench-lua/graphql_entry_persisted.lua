-- The GraphQL `entry` query of graphql_entry.lua as an automatic persisted
-- query: only the hash of its text (registered beforehand), in $PQ_HASH.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local hash = os.getenv("PQ_HASH")
request = function()
   local body = string.format('{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"%s"}},"variables":{"k":"%s"}}', hash, random_key())
   return wrk.format("POST", "/graphql",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
response = check_graphql
