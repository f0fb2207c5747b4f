--[[
  Takes global concurrency slots for a broker that keeps its leases elsewhere
  (amqp://, see ../../queue-gate.ts), before it fetches that many messages.

  KEYS[1] limit  KEYS[2] slots (sorted set token → expiry, epoch ms)
  ARGV[1] now (epoch ms)  ARGV[2] expiry of the new slots  ARGV[3..] tokens

  Invariant: a queue never has more unexpired slots than its limit, across
  every worker: the count and the additions happen in this one script, so two
  workers cannot both take the last slot. Expired slots (a dead worker's) are
  dropped first, which frees them. Without a limit every token is taken, so a
  limit set later counts these leases too.
  Returns how many tokens were taken: the first ones given.
]]
local n = #ARGV - 2
local limit = tonumber(redis.call('GET', KEYS[1]) or '')
if limit then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
  local free = limit - redis.call('ZCARD', KEYS[2])
  if free < n then n = math.max(free, 0) end
end
for i = 3, n + 2 do
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[i])
end
return n
