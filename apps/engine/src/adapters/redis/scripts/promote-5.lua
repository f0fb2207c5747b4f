--[[
  Moves delayed (countdown / ETA / retry / rate-limited) messages whose time has
  come into the ready set, keeping their priority.

  KEYS[1] delayed  KEYS[2] ready  KEYS[3] priorities  KEYS[4] sequence  KEYS[5] marker
  ARGV[1] now (epoch ms)  ARGV[2] max messages to move

  Invariant: a message is never in delayed and ready at once; the move is atomic.
  Returns the number moved.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  local priority = tonumber(redis.call('HGET', KEYS[3], id) or '0')
  local seq = redis.call('INCR', KEYS[4])
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], (9 - priority) * 100000000000000 + seq, id)
end
if #due > 0 then
  redis.call('LPUSH', KEYS[5], '1')
  redis.call('LTRIM', KEYS[5], 0, 0)
end
return #due
