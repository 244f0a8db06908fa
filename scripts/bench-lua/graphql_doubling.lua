-- The hostile document of issue 10, in a loop: thirty levels of fragments
-- that each spread the one below twice (about 1.2 KB, 2^30 fields written
-- out). It must be refused; an answer without the complexity error counts
-- as a bad response.
dofile(os.getenv("LUA_DIR") .. "/common.lua")
local levels = 30
local parts = { string.format("{...F%d} fragment F0 on Query{me{id}}", levels) }
for level = 1, levels do
   table.insert(parts, string.format(" fragment F%d on Query{...F%d ...F%d}", level, level - 1, level - 1))
end
local body = string.format('{"query":"%s"}', table.concat(parts))
request = function()
   return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json" }, body)
end
response = function(status, headers, response_body)
   if status ~= 200 or not string.find(response_body, "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED", 1, true) then
      bad = bad + 1
   end
end
