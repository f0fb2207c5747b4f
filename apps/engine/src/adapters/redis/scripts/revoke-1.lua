--[[
  Records revocations in one queue's revoked set.

  KEYS[1] revoked
  ARGV[1] expiry of the revocation (epoch ms)  ARGV[2..] ids

  Invariant: reserve-7 checks this set in the same slot, so a revoked queued or
  delayed message never starts. Expired revocations are trimmed by reserve.
]]
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
end
return #ARGV - 1
