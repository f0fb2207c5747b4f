--[[
  Pauses or resumes a queue.

  KEYS[1] paused  KEYS[2] ready  KEYS[3] marker
  ARGV[1] '1' to pause, '0' to resume

  The flag is a plain key in the queue's slot, so the reserve script can read
  it atomically with its pop. Resuming a queue that has ready messages pushes
  the marker, so a worker blocked on it wakes at once instead of at the end of
  its wait; the reply (1) tells the client to wake workers on Cluster too.
]]
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], '1')
  return 0
end
if redis.call('DEL', KEYS[1]) == 1 and redis.call('ZCARD', KEYS[2]) > 0 then
  redis.call('LPUSH', KEYS[3], '1')
  redis.call('LTRIM', KEYS[3], 0, 0)
  return 1
end
return 0
