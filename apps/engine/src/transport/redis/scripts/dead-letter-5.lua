--[[
  Moves a leased message to the queue's dead-letter list with a reason.

  KEYS[1] leased  KEYS[2] messages  KEYS[3] deliveries  KEYS[4] priorities  KEYS[5] dead
  ARGV[1] id  ARGV[2] reason  ARGV[3] now  ARGV[4] body (used if the message hash lost it)

  Invariant: a dead-lettered message is gone from every live structure and is
  kept, with its body, in the dead list: never dropped silently.
]]
local id = ARGV[1]
local body = redis.call('HGET', KEYS[2], id) or ARGV[4]
redis.call('ZREM', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('RPUSH', KEYS[5], cjson.encode({ id = id, body = body, reason = ARGV[2], at = tonumber(ARGV[3]) }))
return 1
