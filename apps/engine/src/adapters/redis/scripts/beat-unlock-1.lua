--[[
  Releases the beat leader lock if `token` still holds it (a clean shutdown,
  so a standby takes over at once instead of after the TTL).

  KEYS[1] lock
  ARGV[1] token

  Invariant: compare-and-delete; a beat never deletes a lock another holds.
  Returns 1 when released.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
