-- One GraphQL `entries` page of 20, after the cursor in $AFTER (page 1 when empty).
dofile(os.getenv("LUA_DIR") .. "/common.lua")
after = os.getenv("AFTER") or ""
body = '{"query":"{entries(first:20){nodes{key value version}pageInfo{hasNextPage endCursor}}}"}'
if after ~= "" then
   body = string.format('{"query":"{entries(first:20,after:\\"%s\\"){nodes{key value version}pageInfo{hasNextPage endCursor}}}"}', after)
end
request = function()
   return wrk.format("POST", "/graphql",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
response = check_graphql
