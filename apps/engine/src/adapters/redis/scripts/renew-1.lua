--[[
  Renews leases held by a worker.

  KEYS[1] leased
  ARGV[1] new lease expiry (epoch ms)  ARGV[2..] ids

  Invariant: only ids still leased are touched (XX): a lease that already
  expired and was recovered is not resurrected.
]]
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
end
return #ARGV - 1
