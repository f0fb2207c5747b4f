--[[
  Returns messages whose lease expired (their worker died or stalled) to the
  queue; a message delivered maxDeliveries times goes to the dead-letter list.

  KEYS[1] leased  KEYS[2] messages  KEYS[3] deliveries  KEYS[4] priorities
  KEYS[5] ready  KEYS[6] dead  KEYS[7] sequence  KEYS[8] marker
  ARGV[1] now  ARGV[2] maxDeliveries  ARGV[3] max messages to handle

  Invariant: a poison message (one that kills every worker that takes it) is
  delivered at most maxDeliveries times, then parked with a reason. KEYS[3]
  counts each message's deliveries that ended here, unsettled (reserve-9.lua
  adds one for the delivery it makes).
  Returns {requeued, dead}.
]]
local now = tonumber(ARGV[1])
local maxDeliveries = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local requeued, dead = 0, 0
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], id)
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    -- This delivery ended unsettled: counted, so the next reserve reports the delivery after it.
    local n = redis.call('HINCRBY', KEYS[3], id, 1)
    if n >= maxDeliveries then
      redis.call('HDEL', KEYS[2], id)
      redis.call('HDEL', KEYS[3], id)
      redis.call('HDEL', KEYS[4], id)
      local reason = 'lease expired after ' .. n .. ' deliveries (maxDeliveries ' .. maxDeliveries .. ')'
      redis.call('RPUSH', KEYS[6], cjson.encode({ id = id, body = body, reason = reason, at = now }))
      dead = dead + 1
    else
      local priority = tonumber(redis.call('HGET', KEYS[4], id) or '0')
      local seq = redis.call('INCR', KEYS[7])
      redis.call('ZADD', KEYS[5], (9 - priority) * 100000000000000 + seq, id)
      requeued = requeued + 1
    end
  end
end
if requeued > 0 then
  redis.call('LPUSH', KEYS[8], '1')
  redis.call('LTRIM', KEYS[8], 0, 0)
end
return { requeued, dead }
