-- REST POST of keys never seen before (unique per run, thread and request).
dofile(os.getenv("LUA_DIR") .. "/common.lua")
run = os.getenv("RUN_ID") or "0"
request = function()
   counter = counter + 1
   local body = string.format('{"key":"new-%s-%d-%d","value":"a fresh value padded to a realistic size.............."}', run, id, counter)
   return wrk.format("POST", "/api/data",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
