-- POST /orders of the Spring Boot example, every request with a new Idempotency-Key.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "bench-client"
-- Each of wrk's threads runs its own Lua state: give each a number and a seed of its own, or they would send
-- the same keys at the same time (concurrent duplicates, answered 409).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("%d-%08x-%d-%d", id, math.random(0, 0x7fffffff), counter,
      math.random(0, 1000000))
  return wrk.format(nil, "/orders", nil, '{"item":"wrk order ' .. counter .. '"}')
end
