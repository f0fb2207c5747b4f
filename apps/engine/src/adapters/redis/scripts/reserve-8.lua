--[[
  Reserves up to N ready messages, highest priority first, each under a lease.

  KEYS[1] ready  KEYS[2] messages  KEYS[3] leased  KEYS[4] deliveries
  KEYS[5] revoked  KEYS[6] priorities  KEYS[7] marker  KEYS[8] paused
  ARGV[1] now (epoch ms)  ARGV[2] count  ARGV[3] lease ms

  Invariant: a revoked id is never handed out: the check and the pop happen in
  the same script, so a revoke that lands before this script runs always wins.
  Revoked ids are dropped (and returned flagged so the worker records REVOKED).
  If messages remain, the marker is pushed again to wake the next idle worker.
  A paused queue (KEYS[8] exists) hands nothing out: checked here, in the same
  script as the pop, so no reserve that starts after the pause takes a message.
  Returns a flat array of {id, body, deliveries or -1 when revoked}.
]]
if redis.call('EXISTS', KEYS[8]) == 1 then return {} end
local now = tonumber(ARGV[1])
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[2]))
local out = {}
local checkRevoked = redis.call('EXISTS', KEYS[5]) == 1
if checkRevoked then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now) end
local untilMs = now + tonumber(ARGV[3])
for i = 1, #popped, 2 do
  local id = popped[i]
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    if checkRevoked and redis.call('ZSCORE', KEYS[5], id) then
      redis.call('HDEL', KEYS[2], id)
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', KEYS[6], id)
      table.insert(out, id); table.insert(out, body); table.insert(out, -1)
    else
      local n = redis.call('HINCRBY', KEYS[4], id, 1)
      redis.call('ZADD', KEYS[3], untilMs, id)
      table.insert(out, id); table.insert(out, body); table.insert(out, n)
    end
  end
end
if #popped > 0 and redis.call('ZCARD', KEYS[1]) > 0 then
  redis.call('LPUSH', KEYS[7], '1')
  redis.call('LTRIM', KEYS[7], 0, 0)
end
return out
