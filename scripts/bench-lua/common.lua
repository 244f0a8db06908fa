-- Shared by every wrk scenario: a bearer token from $TOKEN, per-thread
-- counters, and a JSON summary line printed when wrk is done.
token = os.getenv("TOKEN") or ""
entries = tonumber(os.getenv("ENTRIES") or "10000")
threads = {}
thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("id", thread_count)
   thread:set("bad", 0)
   table.insert(threads, thread)
end

function init(args)
   counter = 0
   bad = 0
   math.randomseed(id * 7919 + os.time())
end

function random_key()
   return string.format("key-%05d", math.random(0, entries - 1))
end

-- GraphQL answers 200 even when it fails: count bodies with "errors" as errors.
function check_graphql(status, headers, body)
   if status ~= 200 or string.find(body, '"errors"', 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local bad_total = 0
   for _, t in ipairs(threads) do
      bad_total = bad_total + (t:get("bad") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"body_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
      bad_total, latency:percentile(50), latency:percentile(99), latency.max))
end
