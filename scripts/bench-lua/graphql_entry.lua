-- GraphQL `entry` query of random existing keys.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
request = function()
   local body = string.format('{"query":"query($k:String!){entry(key:$k){key value version}}","variables":{"k":"%s"}}', random_key())
   return wrk.format("POST", "/graphql",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
response = check_graphql
