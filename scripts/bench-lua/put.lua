-- REST PUT of random existing keys.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
request = function()
   counter = counter + 1
   local body = string.format('{"value":"updated value %d-%d padded to a realistic size......"}', id, counter)
   return wrk.format("PUT", "/api/data/" .. random_key(),
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
