--[[
  Reserves up to N ready messages, highest priority first, each under a lease.

  KEYS[1] ready  KEYS[2] messages  KEYS[3] leased  KEYS[4] deliveries
  KEYS[5] revoked  KEYS[6] priorities  KEYS[7] marker  KEYS[8] paused
  KEYS[9] limit
  ARGV[1] now (epoch ms)  ARGV[2] count  ARGV[3] lease ms

  Invariant: a revoked id is never handed out: the check and the pop happen in
  the same script, so a revoke that lands before this script runs always wins.
  Revoked ids are dropped (and returned flagged so the worker records REVOKED).
  If messages remain, the marker is pushed again to wake the next idle worker.
  A paused queue (KEYS[8] exists) hands nothing out: checked here, in the same
  script as the pop, so no reserve that starts after the pause takes a message.

  A queue with a concurrency limit (KEYS[9], a positive integer) never has more
  live leases than the limit, across every worker. The count is the leases
  that have not expired (ZCOUNT above now), taken in the same script as the
  pop: two workers reserving at once cannot both take the last slot, and there
  is no counter to drift, since a slot frees itself when its lease leaves the
  set (ack, retry, dead letter, recovery) or expires. A reserve that fills the
  last slot leaves the marker alone: a woken worker would find nothing to take.
  A message's delivery number is 1 plus its earlier deliveries that ended
  unsettled (recover-8.lua counts those in KEYS[4]), so reserving writes
  nothing there: the whole batch costs a few calls, not a few per message.
  Returns a flat array of {id, body, delivery number or -1 when revoked}.
]]
--!include bulk
if redis.call('EXISTS', KEYS[8]) == 1 then return {} end
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local limit = redis.call('GET', KEYS[9])
local free
if limit then
  free = tonumber(limit) - redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[1], '+inf')
  if free <= 0 then return {} end
  if free < want then want = free end
end
local popped = redis.call('ZPOPMIN', KEYS[1], want)
if #popped == 0 then return {} end
local ids = {}
for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
local bodies = hmgetAll(KEYS[2], ids)
-- Earlier deliveries that ended unsettled (their lease expired): most messages have none.
local earlier = nil
if redis.call('EXISTS', KEYS[4]) == 1 then earlier = hmgetAll(KEYS[4], ids) end
local checkRevoked = redis.call('EXISTS', KEYS[5]) == 1
if checkRevoked then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now) end
local untilMs = now + tonumber(ARGV[3])
local out = {}
local leases = {}
for i, id in ipairs(ids) do
  local body = bodies[i]
  if body then
    if checkRevoked and redis.call('ZSCORE', KEYS[5], id) then
      redis.call('HDEL', KEYS[2], id)
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', KEYS[6], id)
      table.insert(out, id); table.insert(out, body); table.insert(out, -1)
    else
      leases[#leases + 1] = untilMs
      leases[#leases + 1] = id
      local n = 1
      if earlier and earlier[i] then n = n + tonumber(earlier[i]) end
      table.insert(out, id); table.insert(out, body); table.insert(out, n)
    end
  end
end
if #leases > 0 then callAll('ZADD', KEYS[3], leases, 2) end
local leased = #leases / 2
if (free == nil or leased < free) and redis.call('ZCARD', KEYS[1]) > 0 then
  redis.call('LPUSH', KEYS[7], '1')
  redis.call('LTRIM', KEYS[7], 0, 0)
end
return out
