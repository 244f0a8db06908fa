-- REST token issuance for the benchmark account.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
body = string.format('{"username":"%s","password":"%s"}', os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
request = function()
   return wrk.format("POST", "/api/token", { ["Content-Type"] = "application/json" }, body)
end
