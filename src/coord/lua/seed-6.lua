-- seed-6.lua: creates, replaces or resets a queue's state (see Coordinator.seed and Coordinator.resetOffsets).
-- Input (keys and ARGV[1..2] as in lib.lua):
--   ARGV[3] offset  ARGV[4] member of the group's queue set  ARGV[5] logId ('' = not known)
--   ARGV[6] replace when the cursor is above this (-1 = never)  ARGV[7] "1" = reset unconditionally (operator)
-- Output:
--   the committed offset after the call
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local offset, logId, above, force = tonumber(ARGV[3]), ARGV[5], tonumber(ARGV[6]), ARGV[7] == '1'
local st = load_state(KEYS)
if st.exists then
  local otherLog = logId ~= '' and st.log ~= '' and st.log ~= logId
  local rewind = above >= 0 and st.cur > above
  if not (force or otherLog or rewind) then
    if st.log == '' and logId ~= '' then
      st.log = logId
      save_state(KEYS, st)
    end
    touch(KEYS, ttl)
    return tonumber(redis.call('HGET', KEYS[1], 'com'))
  end
end
local log = logId
if log == '' then log = st.log end
st = new_state(KEYS, st, offset, now, log)
redis.call('SADD', KEYS[6], ARGV[4])
local com = save_state(KEYS, st)
touch(KEYS, ttl)
return com
