-- claim-6.lua: atomically reserves offsets for one consumer of a group (see Coordinator.claim).
-- Input (keys and ARGV[1..2] as in lib.lua):
--   ARGV[3] startOffsetIfNew (-1 = do not create state)  ARGV[4] minOffset (the master's retention floor)
--   ARGV[5] maxOffset (exclusive)  ARGV[6] maxCount  ARGV[7] invisibleMs (0 = auto-ack)  ARGV[8] member of the group's
--   queue set  ARGV[9] logId ('' = not known)  ARGV[10] tag expression  ARGV[11] "1" = orderly
--   ARGV[12] rewindAbove (-1 = none): with ARGV[3] = -1, a cursor above it answers NO_STATE
-- Output:
--   { "NO_STATE" } when there is no state for this log and ARGV[3] is -1; {} when nothing is available (or only
--   { "", "", ..., expired } entries when offsets were skipped); else { leaseId (0 = auto-ack), from, to, deadline,
--   attempt, "ranges", sub, expired }
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local start, minOff, maxOff = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local maxCount, invisible = tonumber(ARGV[6]), tonumber(ARGV[7])
local logId, sub, orderly = ARGV[9], ARGV[10], ARGV[11] == '1'

local st = load_state(KEYS)
local otherLog = st.exists and logId ~= '' and st.log ~= '' and st.log ~= logId
local rewindAbove = tonumber(ARGV[12])
if st.exists and start < 0 and rewindAbove >= 0 and st.cur > rewindAbove then return { 'NO_STATE' } end
if not st.exists or otherLog then
  if start < 0 then return { 'NO_STATE' } end
  st = new_state(KEYS, st, start, now, logId)
  redis.call('SADD', KEYS[6], ARGV[8])
end
if st.log == '' then st.log = logId end
-- The master said everything below minOffset is gone (retention): skip it, counting what was skipped.
local expired = 0
if st.cur < minOff then
  expired = minOff - st.cur
  st.cur = minOff
end
local kept = clip(st.free, minOff, math.huge)
expired = expired + count_of(st.free) - count_of(kept)
st.free = kept

local from, to = nil, nil
local blocked = orderly and redis.call('HLEN', KEYS[2]) > 0
if maxCount > 0 and not blocked then
  if #st.free > 0 and st.free[1][1] < maxOff then
    -- Released ranges first, so that holes below the cursor do not hold the committed offset back.
    local a, b = st.free[1][1], st.free[1][2]
    from = a
    to = math.min(b, a + maxCount, maxOff)
    if to < b then st.free[1] = { to, b } else table.remove(st.free, 1) end
  elseif math.min(st.cur + maxCount, maxOff) > st.cur then
    from = st.cur
    to = math.min(st.cur + maxCount, maxOff)
    st.cur = to
  end
end

local reply = {}
if from ~= nil then
  if invisible <= 0 then
    reply = { '0', fmt(from), fmt(to), '0', '1', fmt(from) .. '-' .. fmt(to), sub, fmt(expired) }
  else
    local id = next_id(st, now)
    local l = { from = from, to = to, deadline = now + invisible, attempt = 1, cut = from, pending = { { from, to } }, sub = sub }
    put_lease(KEYS, id, l)
    reply = lease_reply(id, l, expired)
  end
end
save_state(KEYS, st)
touch(KEYS, ttl)
return reply
