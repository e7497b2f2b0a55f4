-- lib.lua: helpers shared by every coordination script. Not a command by itself: the loader (src/coord/scripts.ts)
-- prepends this file to each <name>-<numKeys>.lua before defineCommand. Mirrors src/coord/ranges.ts and
-- src/coord/queue-state.ts; change them together.
--
-- Ranges are half-open [a, b) offset ranges, kept sorted and disjoint, stored as "a-b,c-d" ("" when empty).
-- A lease is stored as "from to deadline attempt cut ranges sub" (ranges = its pending offsets, never empty; sub = the
-- tag expression it was claimed with, may contain spaces; offsets below cut were taken away by a split re-claim).
-- Every script gets the same six keys: KEYS[1] state hash, KEYS[2] leases hash, KEYS[3] lowest-pending zset,
-- KEYS[4] deadline zset, KEYS[5] done zset (fully acked lease ids by time), KEYS[6] the group's queue set;
-- and ARGV[1] = groupStateTtlMs (0 = no expiry), ARGV[2] = now (ms).
-- Numbers are written with %d: tostring() would switch to exponent notation above 1e14.

local function fmt(n)
  return string.format('%d', n)
end

local function parse_ranges(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for a, b in string.gmatch(s, '(%d+)-(%d+)') do
    out[#out + 1] = { tonumber(a), tonumber(b) }
  end
  return out
end

local function fmt_ranges(t)
  local parts = {}
  for i = 1, #t do parts[i] = fmt(t[i][1]) .. '-' .. fmt(t[i][2]) end
  return table.concat(parts, ',')
end

-- Sorts, drops empty ranges and merges overlapping or adjacent ones.
local function normalize(t)
  local xs = {}
  for i = 1, #t do
    if t[i][2] > t[i][1] then xs[#xs + 1] = { t[i][1], t[i][2] } end
  end
  table.sort(xs, function(x, y) return x[1] < y[1] end)
  local out = {}
  for i = 1, #xs do
    local last = out[#out]
    if last ~= nil and xs[i][1] <= last[2] then
      if xs[i][2] > last[2] then last[2] = xs[i][2] end
    else
      out[#out + 1] = xs[i]
    end
  end
  return out
end

-- The part of t inside [from, to).
local function clip(t, from, to)
  local out = {}
  for i = 1, #t do
    local x = math.max(t[i][1], from)
    local y = math.min(t[i][2], to)
    if y > x then out[#out + 1] = { x, y } end
  end
  return out
end

local function contains(t, o)
  for i = 1, #t do
    if o >= t[i][1] and o < t[i][2] then return true end
  end
  return false
end

local function remove_offset(t, o)
  local out = {}
  for i = 1, #t do
    local a, b = t[i][1], t[i][2]
    if o < a or o >= b then
      out[#out + 1] = { a, b }
    else
      if o > a then out[#out + 1] = { a, o } end
      if o + 1 < b then out[#out + 1] = { o + 1, b } end
    end
  end
  return out
end

-- Splits off the first n offsets: taken, rest.
local function take_prefix(t, n)
  local taken, rest, left = {}, {}, n
  for i = 1, #t do
    local a, b = t[i][1], t[i][2]
    if left <= 0 then
      rest[#rest + 1] = { a, b }
    elseif b - a <= left then
      taken[#taken + 1] = { a, b }
      left = left - (b - a)
    else
      taken[#taken + 1] = { a, a + left }
      rest[#rest + 1] = { a + left, b }
      left = 0
    end
  end
  return taken, rest
end

local function count_of(t)
  local n = 0
  for i = 1, #t do n = n + t[i][2] - t[i][1] end
  return n
end

local function decode_lease(s)
  if not s then return nil end
  local f, t, d, a, c, r, sub = string.match(s, '^(%d+) (%d+) (%d+) (%d+) (%d+) (%S*) (.*)$')
  if not f then return nil end
  return { from = tonumber(f), to = tonumber(t), deadline = tonumber(d), attempt = tonumber(a), cut = tonumber(c),
    pending = parse_ranges(r), sub = sub }
end

local function encode_lease(l)
  return fmt(l.from) .. ' ' .. fmt(l.to) .. ' ' .. fmt(l.deadline) .. ' ' .. fmt(l.attempt) .. ' ' .. fmt(l.cut) .. ' '
    .. fmt_ranges(l.pending) .. ' ' .. l.sub
end

-- Writes a lease (or deletes it when nothing is pending) with its two index entries. keys = {state, leases, lowest, deadlines}
local function put_lease(keys, id, l)
  if #l.pending == 0 then
    redis.call('HDEL', keys[2], id)
    redis.call('ZREM', keys[3], id)
    redis.call('ZREM', keys[4], id)
    return
  end
  redis.call('HSET', keys[2], id, encode_lease(l))
  redis.call('ZADD', keys[3], l.pending[1][1], id)
  redis.call('ZADD', keys[4], l.deadline, id)
end

-- The lease as a reply: { id, from, to, deadline, attempt, "ranges", sub, expired }.
local function lease_reply(id, l, expired)
  return { id, fmt(l.from), fmt(l.to), fmt(l.deadline), fmt(l.attempt), fmt_ranges(l.pending), l.sub, fmt(expired or 0) }
end

-- State: { exists, cur, seq, free, log }.
local function load_state(keys)
  local v = redis.call('HMGET', keys[1], 'cur', 'seq', 'free', 'log')
  if not v[1] then return { exists = false, cur = 0, seq = 0, free = {}, log = '' } end
  return { exists = true, cur = tonumber(v[1]), seq = tonumber(v[2] or '0'), free = parse_ranges(v[3]), log = v[4] or '' }
end

-- A new (or replacing) state at offset: lease ids of a new state start at now * 1000, so that receipts of a lost
-- state never match its leases; a replaced state keeps counting from where it was.
local function new_state(keys, st, offset, now, log)
  local ids = redis.call('HKEYS', keys[2])
  if #ids > 0 then redis.call('DEL', keys[2], keys[3], keys[4]) end
  redis.call('DEL', keys[5])
  local seq = now * 1000
  if st.exists and st.seq > seq then seq = st.seq end
  return { exists = true, cur = offset, seq = seq, free = {}, log = log }
end

-- Remembers a fully acked lease (for ALREADY_ACKED), forgetting those older than 10 minutes or beyond 4096.
local function note_done(keys, id, now)
  redis.call('ZADD', keys[5], now, id)
  redis.call('ZREMRANGEBYSCORE', keys[5], '-inf', now - 600000)
  redis.call('ZREMRANGEBYRANK', keys[5], 0, -4098)
end

-- A new lease id: above every id issued before and at least now * 1000 (ids of a lost state are never issued again).
local function next_id(st, now)
  st.seq = math.max(st.seq + 1, now * 1000)
  return fmt(st.seq)
end

-- Sets the expiry of every key of the queue (and the group's queue set) to ttl ms; 0 = keep forever.
local function touch(keys, ttl)
  if ttl <= 0 then return end
  for i = 1, 6 do redis.call('PEXPIRE', keys[i], ttl) end
end

-- Returns ranges to the free list; a range that ends at the cursor lowers the cursor instead.
local function release(st, ranges)
  if #ranges == 0 then return end
  local all = {}
  for i = 1, #st.free do all[#all + 1] = st.free[i] end
  for i = 1, #ranges do all[#all + 1] = ranges[i] end
  st.free = normalize(all)
  while #st.free > 0 and st.free[#st.free][2] == st.cur do
    st.cur = st.free[#st.free][1]
    table.remove(st.free)
  end
end

-- Saves cursor, lease counter and free list, and the committed offset min(cursor, first free, lowest pending).
local function save_state(keys, st)
  local com = st.cur
  if #st.free > 0 and st.free[1][1] < com then com = st.free[1][1] end
  local lo = redis.call('ZRANGE', keys[3], 0, 0, 'WITHSCORES')
  if #lo == 2 and tonumber(lo[2]) < com then com = tonumber(lo[2]) end
  redis.call('HSET', keys[1], 'cur', fmt(st.cur), 'seq', fmt(st.seq), 'free', fmt_ranges(st.free), 'com', fmt(com), 'log', st.log)
  return com
end

