-- REST GET of random existing keys.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
request = function()
   return wrk.format("GET", "/api/data/" .. random_key(), { ["Authorization"] = "Bearer " .. token })
end
