-- A failed-login storm from one address: wrong passwords for the benchmark
-- account, as fast as the server answers (refused, mostly RATE_LIMITED).
dofile(os.getenv("LUA_DIR") .. "/common.lua")
body = string.format('{"username":"%s","password":"Wrong-Guess-000"}', os.getenv("BENCH_USER"))
request = function()
   return wrk.format("POST", "/api/token", { ["Content-Type"] = "application/json" }, body)
end
response = function(status, headers, response_body)
   -- Refusals are the point; only a success or a server error is wrong.
   if status == 200 or status >= 500 then
      bad = bad + 1
   end
end
