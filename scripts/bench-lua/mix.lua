-- 80% REST GET, 20% REST PUT, of random existing keys.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
request = function()
   counter = counter + 1
   local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
   if math.random(1, 5) == 1 then
      local body = string.format('{"value":"mixed value %d-%d padded to a realistic size......"}', id, counter)
      return wrk.format("PUT", "/api/data/" .. random_key(), headers, body)
   end
   return wrk.format("GET", "/api/data/" .. random_key(), headers)
end
