--[[
  Takes the beat leader lock, or extends it for the token that holds it.

  KEYS[1] lock
  ARGV[1] token (unique per beat process)   ARGV[2] TTL (ms)

  Invariant: at most one token holds the lock; only the holder extends it
  (compare-and-expire), so a leader that paused past its TTL cannot extend a
  lock another beat has taken since. Returns 1 when `token` holds the lock.
]]
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
