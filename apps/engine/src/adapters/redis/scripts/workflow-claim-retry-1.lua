--[[
  Claims the retry of one failed workflow member.

  KEYS[1] the workflow's retried hash (failed id → new id)
  ARGV[1] failed member id   ARGV[2] new task id   ARGV[3] ttl ms

  Invariant: a member is retried at most once, even when two operators press
  "retry failed" at the same moment. Returns 1 when claimed, 0 when it was already.
]]
local claimed = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return claimed
