-- Refresh-token rotation: each thread keeps a pool of its sessions' current
-- refresh tokens (from $REFRESH_TOKENS, split between the threads); a request
-- takes one, its answer gives the next back. A failed refresh loses its
-- session, so errors show as a shrinking pool and non-2xx answers.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local all_tokens = os.getenv("REFRESH_TOKENS") or ""
-- wrk runs each thread's init right after its setup, before the next
-- thread exists, so the number of threads comes from the caller.
local thread_total = tonumber(os.getenv("WRK_THREADS") or "1")

local base_init = init
function init(args)
   base_init(args)
   pool = {}
   local index = 0
   for token in string.gmatch(all_tokens, "[^,]+") do
      if index % thread_total == id - 1 then
         table.insert(pool, token)
      end
      index = index + 1
   end
end

local function refresh_request(token)
   return wrk.format("POST", "/api/token/refresh", { ["Content-Type"] = "application/json" },
      string.format('{"refresh_token":"%s"}', token))
end

-- wrk calls request() once more in the first thread, right after its init,
-- to see whether the script pipelines, and never sends that request: it must
-- not take a token, or one connection of that thread is left without one.
local probed = false

request = function()
   if id == 1 and not probed then
      probed = true
      return refresh_request("probe")
   end
   return refresh_request(table.remove(pool) or "exhausted")
end

response = function(status, headers, body)
   local next_token = string.match(body, '"refresh_token":"([^"]+)"')
   if status == 200 and next_token then
      table.insert(pool, next_token)
   else
      bad = bad + 1
   end
end
