-- Replays of the keys rk-1 .. rk-300 (stored by replay-tail.sh before it starts), picked at random, with the
-- body they were stored with: every answer must be a 201 replay.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "bench-client"
wrk.body = '{"item":"replayed order"}'
request = function()
  wrk.headers["Idempotency-Key"] = "rk-" .. math.random(1, 300)
  return wrk.format(nil, "/orders")
end
response = function(status, headers, body)
  if status ~= 201 or headers["Idempotent-Replayed"] ~= "true" then
    print("unexpected answer " .. status)
  end
end
