-- bench/flow.lua: wrk script that runs iotp's whole verification flow
--
--   create session -> send code (sms) -> poll the dev inbox until the SMS is
--   there -> check the code (PUT, expects "verified":true)
--
-- and counts completed, verified flows.
--
-- Usage: wrk -t2 -c32 -d10s --timeout 10s -s bench/flow.lua http://127.0.0.1:PORT [-- BASE]
--   BASE: first national number to use, 10 digits (default 7400000000). Thread i uses
--   BASE + i*10^7 onwards, so each flow has its own number: +44<number>. The server
--   must run with --dev (dev inbox, API key "dev"; IOTP_API_KEY can override it:
--   set env IOTP_BENCH_KEY to the same value).
--
-- How the state machine works: wrk's Lua API has no notion of a connection:
-- request() and response() are per-thread callbacks, and which connection a
-- response arrived on is unknown. So the state lives per flow (per phone number)
-- instead of per connection: every response names its flow (session bodies carry
-- "phone", inbox messages carry "to"), response() advances that flow and queues
-- its next step, and request() sends the next queued step or, when none is queued,
-- starts a new flow. Each connection always has one request outstanding, so about
-- as many flows are in progress as there are connections.
--
-- The one response that names nothing is an empty inbox ("[]": the worker thread
-- has not delivered the SMS yet). Polls in flight are kept as FIFO "marks"; an
-- unnamed answer retires the oldest mark and that number is polled again. If the
-- guess was wrong, the mismatch corrects itself when the other poll is answered (its
-- number then has no mark left, so again the oldest mark is retired and re-polled),
-- so no flow is stranded.
--
-- Latency: wrk's own statistics cover every request. Besides, this script times
-- each call itself with clock_gettime(CLOCK_MONOTONIC) through LuaJIT's ffi (wrk
-- calls request() right before it writes, and response() once the response is
-- read), per call type, into per-thread histograms that done() merges. These are
-- latencies at saturation (closed loop); bench/latency.mjs measures them at a fixed
-- lower rate (open loop).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } iotp_bench_ts;
int clock_gettime(int clk, iotp_bench_ts *ts);
]]
local ts = ffi.new("iotp_bench_ts")
local function now_us()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

-- ---------------------------------------------------------------- main state
local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

-- -------------------------------------------------------------- thread state
-- Globals read by done() through thread:get (wrk copies flat tables only).
tid = 0
flows_started = 0
flows_done = 0
polls = 0
polls_empty = 0
errors = {} -- "phase status code" -> count
PHASES = { "create", "send", "poll", "check", "delivery", "flow" }
hist_create, hist_send, hist_poll, hist_check, hist_delivery, hist_flow = {}, {}, {}, {}, {}, {}
local hists = {
	create = hist_create, send = hist_send, poll = hist_poll, check = hist_check,
	delivery = hist_delivery, flow = hist_flow,
}

local key = os.getenv("IOTP_BENCH_KEY") or "dev"
local auth = "Bearer " .. key
local base = 7400000000
local counter = 0
-- IOTP_BENCH_NUMBERS=spread: each thread's numbers in a fixed scattered order
-- (its counter times 7919993, which shares no factor with 10^7, mod 10^7),
-- as real people's numbers are, so the indexes and buckets keyed by number
-- are written at scattered places; by default they follow one another.
local spread = os.getenv("IOTP_BENCH_NUMBERS") == "spread"

local H_JSON -- headers for requests with a body
local H_GET

-- Histogram bucket: 1 us up to 1 ms, 10 us up to 100 ms, then 1 ms.
local function record(phase, us)
	if us < 0 then us = 0 end
	local k
	if us < 1000 then
		k = math.floor(us)
	elseif us < 100000 then
		k = math.floor(us / 10) * 10
	else
		k = math.floor(us / 1000) * 1000
	end
	local h = hists[phase]
	h[k] = (h[k] or 0) + 1
end

local function err(phase, status, body)
	local code = body and body:match('"code":"([^"]+)"') or ""
	local k = phase .. " " .. tostring(status) .. " " .. code
	errors[k] = (errors[k] or 0) + 1
end

-- FIFO queues ---------------------------------------------------------------
local function fifo() return { h = 1, t = 0 } end
local function push(q, v) q.t = q.t + 1; q[q.t] = v end
local function pop(q)
	if q.h > q.t then return nil end
	local v = q[q.h]
	q[q.h] = nil
	q.h = q.h + 1
	return v
end

local steps = fifo()  -- flows whose next call (send or check) is ready
local pollq = fifo()  -- numbers waiting for an inbox poll
local queued = {}     -- number -> true while in pollq
local flows = {}      -- "+44..." -> flow
local marks = fifo()  -- polls in flight, oldest first: {phone=, t=, dead=}
local markby = {}     -- number -> list of its live marks

-- flow states
local CREATING, SENDING, WAITING, CHECKING = 1, 2, 3, 4

function init(args)
	if args[1] then base = tonumber(args[1]) end
	if tid >= 10 then error("flow.lua: at most 10 threads") end
	H_JSON = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
	H_GET = { ["Authorization"] = auth }
end

local function add_mark(phone, t)
	local m = { phone = phone, t = t }
	push(marks, m)
	local l = markby[phone]
	if not l then l = {}; markby[phone] = l end
	l[#l + 1] = m
end

local function unlink(m)
	m.dead = true
	local l = markby[m.phone]
	if l then
		for i = 1, #l do
			if l[i] == m then table.remove(l, i); break end
		end
		if #l == 0 then markby[m.phone] = nil end
	end
end

local function oldest_mark()
	while true do
		local m = pop(marks)
		if not m then return nil end
		if not m.dead then return m end
	end
end

local function maybe_repoll(phone)
	local f = flows[phone]
	if f and f.state == WAITING and not queued[phone] and not markby[phone] then
		queued[phone] = true
		push(pollq, phone)
	end
end

-- Retires the mark of the poll that was just answered; named: the number the answer
-- was for, or nil for an empty inbox. Returns the retired mark.
local function retire_mark(named)
	local m
	local l = named and markby[named]
	if l then
		m = l[1]
		unlink(m)
	else
		m = oldest_mark()
		if m then
			unlink(m)
			if m.phone ~= named then maybe_repoll(m.phone) end
		end
	end
	return m
end

local function drop(f)
	flows[f.phone] = nil
end

function request()
	local t = now_us()
	local f = pop(steps)
	while f and flows[f.phone] ~= f do f = pop(steps) end
	if f then
		f.t_req = t
		if f.state == SENDING then
			return wrk.format("POST", "/v1/sessions/" .. f.id .. "/code", H_JSON, '{"channel":"sms"}')
		else -- CHECKING
			return wrk.format("PUT", "/v1/sessions/" .. f.id .. "/code", H_JSON,
				'{"code":"' .. f.code .. '"}')
		end
	end
	local p = pop(pollq)
	while p do
		queued[p] = nil
		local pf = flows[p]
		if pf and pf.state == WAITING then break end
		p = pop(pollq)
	end
	if p then
		add_mark(p, t)
		polls = polls + 1
		return wrk.format("GET", "/v1/dev/inbox?to=%2B" .. p:sub(2), H_GET)
	end
	-- start a new flow
	local n = base + tid * 10000000 + (spread and (counter * 7919993) % 10000000 or counter)
	counter = counter + 1
	local phone = "+44" .. string.format("%010d", n)
	flows[phone] = { phone = phone, state = CREATING, t0 = t, t_req = t }
	flows_started = flows_started + 1
	return wrk.format("POST", "/v1/sessions", H_JSON, '{"phone":"' .. phone .. '"}')
end

function response(status, headers, body)
	local t = now_us()
	local c = body:byte(1)
	if c == 91 then -- '[': an inbox answer
		local to = body:match('"to":"(%+%d+)"')
		local m = retire_mark(to)
		if m then record("poll", t - m.t) end
		if not to then
			polls_empty = polls_empty + 1
			return
		end
		local f = flows[to]
		if not f or f.state ~= WAITING then return end -- an extra poll of a done flow
		local code = body:match('code: ([%d%-]+)')
		if not code then
			err("poll", status, "no_code_in_text")
			drop(f)
			return
		end
		f.code = code:gsub("-", "")
		f.state = CHECKING
		record("delivery", t - f.t_sent)
		push(steps, f)
		return
	end
	local phone = body:match('"phone":"(%+%d+)"')
	local f = phone and flows[phone]
	if not f then
		-- names no flow we know: an error that carries no session (its flow is left
		-- unfinished), or a failed poll (its mark then stays until a later answer
		-- retires it as the oldest one, see retire_mark)
		err("unknown", status, body)
		return
	end
	local state = f.state
	if state == CREATING then
		record("create", t - f.t_req)
		if status ~= 201 then err("create", status, body); drop(f); return end
		f.id = body:match('"id":"([^"]+)"')
		f.state = SENDING
		push(steps, f)
	elseif state == SENDING then
		record("send", t - f.t_req)
		if status ~= 200 then err("send", status, body); drop(f); return end
		f.state = WAITING
		f.t_sent = t
		queued[phone] = true
		push(pollq, phone)
	elseif state == CHECKING then
		record("check", t - f.t_req)
		if status ~= 200 or not body:find('"verified":true', 1, true) then
			err("check", status, body)
			drop(f)
			return
		end
		record("flow", t - f.t0)
		flows_done = flows_done + 1
		drop(f)
	else
		err("unexpected", status, body)
	end
end

-- ------------------------------------------------------------------ summary
local function percentiles(h)
	local keys, n = {}, 0
	for k, v in pairs(h) do keys[#keys + 1] = k; n = n + v end
	if n == 0 then return nil end
	table.sort(keys)
	local function at(q)
		local want, acc = math.ceil(q * n), 0
		for _, k in ipairs(keys) do
			acc = acc + h[k]
			if acc >= want then return k end
		end
		return keys[#keys]
	end
	return n, at(0.5), at(0.9), at(0.99), at(0.999), keys[#keys]
end

local function ms(us) return string.format("%.2fms", us / 1000) end

function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	local started, completed, npolls, nempty = 0, 0, 0, 0
	local errs = {}
	local merged = {}
	for _, p in ipairs(PHASES) do merged[p] = {} end
	for _, th in ipairs(threads) do
		started = started + th:get("flows_started")
		completed = completed + th:get("flows_done")
		npolls = npolls + th:get("polls")
		nempty = nempty + th:get("polls_empty")
		for k, v in pairs(th:get("errors")) do errs[k] = (errs[k] or 0) + v end
		for _, p in ipairs(PHASES) do
			for k, v in pairs(th:get("hist_" .. p)) do merged[p][k] = (merged[p][k] or 0) + v end
		end
	end
	io.write("------------------------------------------------------------\n")
	io.write(string.format("flows: %d, flows/s: %.1f\n", completed, completed / secs))
	io.write(string.format("flows started: %d, unfinished at the end: %d\n", started, started - completed))
	io.write(string.format("requests per flow: %.2f (inbox polls: %d, empty: %d)\n",
		completed > 0 and summary.requests / completed or 0, npolls, nempty))
	local e = summary.errors
	io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d; non-2xx: %d\n",
		e.connect, e.read, e.write, e.timeout, e.status))
	local any = false
	local ks = {}
	for k in pairs(errs) do ks[#ks + 1] = k end
	table.sort(ks)
	for _, k in ipairs(ks) do
		io.write(string.format("error: %s: %d\n", k, errs[k]))
		any = true
	end
	if not any then io.write("errors by kind: none\n") end
	io.write("per call (closed loop, at saturation):\n")
	for _, p in ipairs(PHASES) do
		local n, p50, p90, p99, p999, max = percentiles(merged[p])
		if n then
			io.write(string.format("  %-8s n=%-8d p50=%-9s p90=%-9s p99=%-9s p99.9=%-9s max=%s\n",
				p, n, ms(p50), ms(p90), ms(p99), ms(p999), ms(max)))
		end
	end
	io.write("  (delivery: send-code answer to the SMS seen in the inbox; flow: create sent to check answered)\n")
end
