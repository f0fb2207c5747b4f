--[[
  Puts one unacked message back on its queue list, as kombu's restore_by_tag
  does (visibility timeout passed, a parked eta came due, or a worker handing
  back what it will not run).

  KEYS[1] unacked   KEYS[2] unacked_index   KEYS[3] the queue list
  ARGV[1] delivery tag
  ARGV[2] the unacked entry as read, or '' to restore whatever is there
  ARGV[3] the envelope to push (marked redelivered by the caller)
  ARGV[4] 'right' (RPUSH: served next, kombu's restore) or 'left' (LPUSH)

  Invariant: a message is restored at most once. If the entry is gone (acked,
  or restored by another worker, Python or TypeScript) or changed since it
  was read, nothing is pushed. Returns 1 when restored.
]]
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
if ARGV[2] ~= '' and entry ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[4] == 'left' then
  redis.call('LPUSH', KEYS[3], ARGV[3])
else
  redis.call('RPUSH', KEYS[3], ARGV[3])
end
return 1
