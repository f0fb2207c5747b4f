--[[
  Opens a chord's join, before any member is sent.

  KEYS[1] the join hash (in the callback queue's slot)
  ARGV[1] size              ARGV[2] callback id    ARGV[3] callback priority
  ARGV[4] callback eta (epoch ms or '')            ARGV[5] callback queue (unused here: the
  caller adds it to the set of queue names, which lives in another slot on Cluster)
  ARGV[6] body head         ARGV[7] body tail      ARGV[8] splice ('1': the results go between head and tail)
  ARGV[9] ttl ms

  Invariant: a join is opened once; opening it again (a producer retrying the
  apply) changes nothing, so it never forgets members already counted.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'size', ARGV[1], 'id', ARGV[2], 'priority', ARGV[3], 'eta', ARGV[4],
    'head', ARGV[6], 'tail', ARGV[7], 'splice', ARGV[8], 'done', 0, 'failed', 0, 'state', 'open')
end
redis.call('PEXPIRE', KEYS[1], ARGV[9])
return 1
