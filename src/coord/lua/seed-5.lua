-- seed-5.lua: creates a queue's state at a given offset when there is none (see Coordinator.seed).
-- Input:
--   KEYS[1] state hash, KEYS[2] leases hash, KEYS[3] lowest-pending zset, KEYS[4] deadline zset, KEYS[5] group's queue set
--   ARGV[1] offset  ARGV[2] member of the group's queue set
-- Output:
--   the committed offset (the given one when the state is new)
local st = load_state(KEYS)
if st.exists then
  return tonumber(redis.call('HGET', KEYS[1], 'com'))
end
st.cur = tonumber(ARGV[1])
redis.call('SADD', KEYS[5], ARGV[2])
return save_state(KEYS, st)
