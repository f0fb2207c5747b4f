--[[
  Puts a leased message back for another try: a retry (new body with the retry
  count and attempt history), or a rate-limited message waiting for its token.

  KEYS[1] leased  KEYS[2] messages  KEYS[3] deliveries  KEYS[4] delayed
  KEYS[5] ready  KEYS[6] priorities  KEYS[7] sequence  KEYS[8] marker
  ARGV[1] id  ARGV[2] new body  ARGV[3] eta (epoch ms)  ARGV[4] now
  ARGV[5] '1' to keep the delivery count (minus this delivery), '0' to reset it

  Invariant: the lease is released and the message is in delayed or ready in
  one step, so a crash never leaves it in neither.
]]
local id = ARGV[1]
redis.call('ZREM', KEYS[1], id)
redis.call('HSET', KEYS[2], id, ARGV[2])
if ARGV[5] == '1' then
  local n = redis.call('HINCRBY', KEYS[3], id, -1)
  if n <= 0 then redis.call('HDEL', KEYS[3], id) end
else
  redis.call('HDEL', KEYS[3], id)
end
local eta = tonumber(ARGV[3])
if eta > tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[4], eta, id)
else
  local priority = tonumber(redis.call('HGET', KEYS[6], id) or '0')
  local seq = redis.call('INCR', KEYS[7])
  redis.call('ZADD', KEYS[5], (9 - priority) * 100000000000000 + seq, id)
  redis.call('LPUSH', KEYS[8], '1')
  redis.call('LTRIM', KEYS[8], 0, 0)
end
return 1
