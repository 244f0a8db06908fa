-- REST PUT of keys this thread owns, with If-Match when $CONDITIONAL is 1.
-- Run with one connection per thread, so that each answer belongs to the
-- request just before it: the thread knows every key's version (each run
-- has its own keys, $CAS_PREFIX-<thread>-<n>, seeded at version 1) and
-- sends it; a 412 would mean it did not, and counts as an error. The
-- plain run tracks versions too, so both do the same client work.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local conditional = os.getenv("CONDITIONAL") == "1"
local prefix = os.getenv("CAS_PREFIX")
local keys = tonumber(os.getenv("CAS_KEYS"))
versions = {}
pending = nil

request = function()
   counter = counter + 1
   local key = string.format("%s-%d-%04d", prefix, id, math.random(0, keys - 1))
   -- wrk may call request() once without sending it (a pipelining probe):
   -- only the last call before an answer is the one answered.
   pending = key
   local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
   if conditional then
      headers["If-Match"] = string.format('"%d"', versions[key] or 1)
   end
   local body = string.format('{"value":"updated value %d-%d padded to a realistic size......"}', id, counter)
   return wrk.format("PUT", "/api/data/" .. key, headers, body)
end

response = function(status, headers, body)
   if status == 200 then
      versions[pending] = (versions[pending] or 1) + 1
   else
      bad = bad + 1
   end
end
