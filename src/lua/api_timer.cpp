// ngx.timer.at / every / running_count / pending_count and the timer handles' cancel(): the C
// half of lua/tycho/timer.lua and the TimerService that fires timers into timer contexts, after
// lua-nginx-module's ngx_http_lua_timer.c (limits, premature runs at exit, log texts).

#include "lua/timers.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <lua.hpp>
#include <utility>

#include "core/log.h"
#include "http/connection.h"
#include "http/http_conf.h"
#include "http/http_log.h"
#include "http/request.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {

TimerService::TimerService(WorkerRuntime& rt, uv_loop_t* loop, int callbacks_ref, int renew_ref)
    : rt_(rt), queue_(loop), waits_(loop), callbacks_ref_(callbacks_ref), renew_ref_(renew_ref) {
    // ngx.timer's timers, sleeps and semaphore timeouts come due in one deadline order, as in
    // nginx's single timer tree: `ngx.timer.at(d, f); ngx.sleep(d)` returns after f started.
    queue_.set_peer(&waits_);
    waits_.set_peer(&queue_);
    queue_.set_trim_hook(on_trim, this);
    slots_.resize(1);
    prepare_ = new uv_prepare_t;
    uv_prepare_init(loop, prepare_);
    prepare_->data = this;
}

TimerService::~TimerService() {
    prepare_->data = nullptr;
    uv_prepare_stop(prepare_);
    uv_close(reinterpret_cast<uv_handle_t*>(prepare_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_prepare_t*>(h); });
}

void TimerService::before_poll(void (*fn)(void* data), void* data) {
    before_poll_.push_back(BeforePoll{fn, data});
    if (!prepare_active_) {
        prepare_active_ = true;
        uv_prepare_start(prepare_, on_prepare);
    }
}

void TimerService::on_prepare(uv_prepare_t* handle) {
    auto* self = static_cast<TimerService*>(handle->data);
    if (self == nullptr) {
        return;
    }
    std::vector<BeforePoll> calls;
    calls.swap(self->before_poll_);
    self->prepare_active_ = false;
    uv_prepare_stop(handle);
    for (const BeforePoll& c : calls) {
        c.fn(c.data);
    }
    if (self->before_poll_.empty() && calls.capacity() > self->before_poll_.capacity()) {
        self->before_poll_.swap(calls);  // keep the grown buffer
        self->before_poll_.clear();
    }
}

int TimerService::add(double delay_s, bool every, uint32_t* gen) {
    Scheduler& sched = rt_.scheduler();
    Context* ctx = sched.current();
    // init_by_lua* has no request at all in OpenResty, and timers made while the worker's VM
    // is going away (exit_worker_by_lua*) could never run.
    if (ctx == nullptr || ctx->phase == Phase::kInit || ctx->phase == Phase::kExitWorker) {
        return kNoContext;
    }
    if (std::isnan(delay_s)) {
        return kBadDelay;
    }
    // OpenResty takes any large delay (a timer for "never"); the queue saturates its deadline.
    delay_s = std::min(delay_s, 1e15);
    if (delay_s < 0) {
        delay_s = 0;  // lua-nginx-module runs a negative delay at once
    }
    // Whole milliseconds, rounded up so that a timer never fires before the delay asked for
    // (lua-nginx-module truncates: 2.001 s, 2000.9999... ms in binary, would fire 1 ms early).
    auto ms = static_cast<uint64_t>(std::ceil(delay_s * 1000 - 1e-6));
    if (every && static_cast<uint64_t>(delay_s * 1000) == 0) {  // OpenResty's truncation
        return kZeroEvery;
    }
    if (queue_.exiting() && ms > 0) {
        return kExiting;
    }
    if (pending_timers_ >= static_cast<size_t>(rt_.conf().max_pending_timers)) {
        return kTooMany;
    }
    uint32_t slot;
    if (!free_.empty()) {
        slot = free_.back();
        free_.pop_back();
    } else {
        slot = static_cast<uint32_t>(slots_.size());
        slots_.push_back(Slot{});
        slots_.back().gen = gen_floor_;
    }
    Slot& s = slots_[slot];
    uint64_t user = slot | (static_cast<uint64_t>(s.gen) << 32);
    s.id = queue_.add(ms, on_fire, this, user);
    if (!s.id) {
        free_.push_back(slot);
        return queue_.exiting() ? kExiting : kTooMany;
    }
    s.every_ms = every ? static_cast<uint32_t>(std::min<uint64_t>(ms, UINT32_MAX)) : 0;
    s.pending = true;
    // Where its log lines say it came from: the request's client and listening address, or
    // the timer context's own origin for a timer made by a timer.
    if (ctx->r != nullptr) {
        s.origin = ctx->r->conn_info != nullptr
                       ? origin_for(*ctx->r->conn_info, http::request_error_log(*ctx->r))
                       : 0;
    } else {
        s.origin = ctx->log_origin;
        if (s.origin != 0) {
            ref_origin(s.origin);
        }
    }
    pending_timers_++;
    *gen = s.gen;
    return static_cast<int>(slot);
}

bool TimerService::cancel(uint32_t slot, uint32_t gen) {
    if (slot == 0 || slot >= slots_.size()) {
        return false;
    }
    Slot& s = slots_[slot];
    if (s.gen != gen || !s.pending || !queue_.cancel(s.id)) {
        return false;
    }
    pending_timers_--;
    free_slot(slot);
    check_drained();
    return true;
}

uint32_t TimerService::origin_for(const http::ConnectionInfo& ci,
                                  const std::vector<core::LogSink>* log) {
    RecentOrigin& recent = recent_origins_[ci.number % kRecentOrigins];
    if (recent.conn == ci.number && recent.log == log && recent.id != 0) {
        origins_[recent.id].refs++;
        return recent.id;
    }
    uint32_t id = intern_origin(ci, log);
    if (recent.id != 0) {
        unref_origin(recent.id);
    }
    recent.conn = ci.number;
    recent.log = log;
    recent.id = id;
    origins_[id].refs++;  // the cache's
    return id;
}

uint32_t TimerService::intern_origin(const http::ConnectionInfo& ci,
                                     const std::vector<core::LogSink>* log) {
    std::string key = ci.remote_addr;
    key += '\0';
    if (ci.group != nullptr) {
        key += ci.group->listen.text;
    }
    key += '\0';
    key.append(reinterpret_cast<const char*>(&log), sizeof(log));
    auto it = origin_ids_.find(key);
    if (it != origin_ids_.end()) {
        origins_[it->second].refs++;
        return it->second;
    }
    uint32_t id;
    if (!free_origins_.empty()) {
        id = free_origins_.back();
        free_origins_.pop_back();
    } else {
        id = static_cast<uint32_t>(origins_.size());
        origins_.emplace_back();
    }
    Origin& o = origins_[id];
    o.suffix = ", client: " + ci.remote_addr + ", server: ";
    if (ci.group != nullptr) {
        o.suffix += ci.group->listen.text;
    }
    o.key = key;
    o.log = log;
    o.refs = 1;
    origin_ids_.emplace(std::move(key), id);
    return id;
}

void TimerService::free_origin(uint32_t id) {
    Origin& o = origins_[id];
    origin_ids_.erase(o.key);
    std::string().swap(o.key);
    std::string().swap(o.suffix);
    o.log = nullptr;
    free_origins_.push_back(id);
}

void TimerService::free_slot(uint32_t slot) {
    Slot& s = slots_[slot];
    if (s.origin != 0) {
        unref_origin(s.origin);
        s.origin = 0;
    }
    s.pending = false;
    s.id = {};
    s.every_ms = 0;
    s.gen++;
    if (s.gen == 0) {
        s.gen = 1;
    }
    free_.push_back(slot);
}

void TimerService::on_fire(void* data, uint64_t user, bool premature) noexcept {
    auto* self = static_cast<TimerService*>(data);
    auto slot = static_cast<uint32_t>(user & 0xffffffffu);
    auto gen = static_cast<uint32_t>(user >> 32);
    if (slot < self->slots_.size() && self->slots_[slot].gen == gen) {
        self->fire(slot, premature);
    }
}

void TimerService::fire(uint32_t slot, bool premature) {
    lua_State* L = rt_.state();
    int base = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, callbacks_ref_);
    lua_rawgeti(L, -1, static_cast<int>(slot));  // the callback, or {n, fn, args...}
    Slot& s = slots_[slot];
    pending_timers_--;
    // The run's reference to the origin: the slot's when the slot goes, else one more.
    uint32_t origin = s.origin;
    bool rearmed = false;
    if (s.every_ms > 0 && !premature && !queue_.exiting()) {
        // Re-armed before it runs, as lua-nginx-module does: runs of a slow callback overlap.
        uint64_t user = slot | (static_cast<uint64_t>(s.gen) << 32);
        s.id = queue_.add(s.every_ms, on_fire, this, user);
        rearmed = static_cast<bool>(s.id);
        pending_timers_ += rearmed ? 1 : 0;
    }
    if (!rearmed) {
        lua_pushnil(L);
        lua_rawseti(L, base + 1, static_cast<int>(slot));
        s.origin = 0;
        free_slot(slot);
    } else if (origin != 0) {
        ref_origin(origin);
    }
    if (running_ >= static_cast<size_t>(rt_.conf().max_running_timers)) {
        // Named by where the callback was defined, as lua-nginx-module does.
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_rawgeti(L, -1, 2);
        } else {
            lua_pushvalue(L, -1);
        }
        lua_Debug ar;
        const char* src = "?";
        int line = 0;
        if (lua_isfunction(L, -1) && lua_getinfo(L, ">S", &ar) != 0) {
            src = ar.source;  // not short_src: "=content_by_lua(...)", "@/path/file.lua"
            line = ar.linedefined;
        } else {
            lua_pop(L, 1);
        }
        char buf[512];
        int len = std::snprintf(buf, sizeof(buf),
                                "lua failed to run timer with function defined at %s:%d: %lld "
                                "lua_max_running_timers are not enough",
                                src, line, static_cast<long long>(rt_.conf().max_running_timers));
        core::log_error(core::LogLevel::kAlert,
                        std::string_view(buf, std::min<size_t>(static_cast<size_t>(len),
                                                               sizeof(buf) - 1)));
        lua_settop(L, base);
        if (origin != 0) {
            unref_origin(origin);
        }
        check_drained();
        return;
    }
    int nargs = 1;
    if (lua_type(L, -1) == LUA_TTABLE) {
        int packed = lua_gettop(L);
        lua_rawgeti(L, packed, 1);
        int n = static_cast<int>(lua_tointeger(L, -1));
        lua_pop(L, 1);
        lua_rawgeti(L, packed, 2);
        lua_pushboolean(L, premature ? 1 : 0);
        luaL_checkstack(L, n + 8, "too many timer arguments");
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, packed, 3 + i);
        }
        nargs = 1 + n;
        lua_remove(L, packed);
    } else {
        lua_pushboolean(L, premature ? 1 : 0);
    }
    lua_remove(L, base + 1);  // the callbacks table
    running_++;
    // The run's reference to its origin goes to the timer context, released with it.
    rt_.scheduler().run_timer(nargs, on_done, this, origin, http::next_connection_number());
    lua_settop(L, base);
}

void TimerService::on_trim(void* data, size_t released) noexcept {
    // The queue has had nothing pending for a second and gave its arrays back. After a burst
    // (a million timers), the slots and the callbacks table are still sized for it: with every
    // slot free, they go too, and then glibc returns the freed pages (its arenas keep them
    // otherwise): the worker's RSS comes back near where it was before the burst.
    auto* self = static_cast<TimerService*>(data);
    if (self->free_.size() + 1 == self->slots_.size() && self->slots_.size() > kKeptSlots) {
        for (const Slot& s : self->slots_) {
            self->gen_floor_ = std::max(self->gen_floor_, s.gen);
        }
        self->gen_floor_ = self->gen_floor_ == UINT32_MAX ? 1 : self->gen_floor_ + 1;
        released += self->slots_.capacity() * sizeof(Slot) +
                    self->free_.capacity() * sizeof(uint32_t);
        std::vector<Slot>(1).swap(self->slots_);  // index 0 is never used
        std::vector<uint32_t>().swap(self->free_);
        // Every entry of the callbacks table is nil now, but a Lua table never shrinks its array
        // part: the Lua half starts a new one.
        lua_State* L = self->rt_.state();
        lua_rawgeti(L, LUA_REGISTRYINDEX, self->renew_ref_);
        if (lua_pcall(L, 0, 1, 0) == 0 && lua_istable(L, -1)) {
            lua_rawseti(L, LUA_REGISTRYINDEX, self->callbacks_ref_);
        } else {
            lua_pop(L, 1);
        }
        // The old table and the burst's closures are garbage: collect them before the trim
        // below, or their memory returns to glibc after it. Protected: a __gc may raise.
        auto collect = [](lua_State* co) {
            lua_gc(co, LUA_GCCOLLECT, 0);
            return 0;
        };
        if (lua_cpcall(L, collect, nullptr) != 0) {
            lua_pop(L, 1);
        }
    }
    constexpr size_t kTrimWorth = 1 << 20;
    if (released >= kTrimWorth) {
        ::malloc_trim(0);
    }
}

void TimerService::on_done(void* data, bool) {
    auto* self = static_cast<TimerService*>(data);
    self->running_--;
    self->check_drained();
}

void TimerService::begin_exit(std::function<void()> drained) {
    drained_ = std::move(drained);
    queue_.expire_all_premature();
    check_drained();
}

void TimerService::abort_running() {
    rt_.scheduler().abort_timers();
}

void TimerService::check_drained() {
    if (drained_ && queue_.exiting() && pending_timers_ == 0 &&
        rt_.scheduler().timer_contexts() == 0) {
        std::function<void()> fn = std::move(drained_);
        drained_ = nullptr;
        fn();
    }
}

namespace {

TimerService* service() {
    WorkerRuntime* rt = current_runtime();
    return rt != nullptr ? &rt->timers() : nullptr;
}

}  // namespace

namespace {

int is_c_function(lua_State* L) {
    lua_pushboolean(L, lua_iscfunction(L, 1));
    return 1;
}

}  // namespace

void inject_timer(lua_State* L) {
    require_embedded(L, "tycho.timer");
    lua_getfield(L, -1, "init");
    lua_pushcfunction(L, is_c_function);
    lua_call(L, 1, 0);
    lua_getfield(L, -1, "api");
    lua_setfield(L, -3, "timer");
    lua_getfield(L, -1, "renew");
    lua_pushvalue(L, -1);
    lua_call(L, 0, 1);
    int callbacks = luaL_ref(L, LUA_REGISTRYINDEX);
    int renew = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    if (WorkerRuntime* rt = current_runtime(); rt != nullptr) {
        rt->set_timer_refs(callbacks, renew);
    }
}

}  // namespace tycho::lua

extern "C" {

int tycho_ffi_timer_add(double delay, int every, uint32_t* gen) noexcept {
    tycho::lua::TimerService* t = tycho::lua::service();
    if (t == nullptr) {
        return tycho::lua::TimerService::kNoContext;
    }
    return t->add(delay, every != 0, gen);
}

int tycho_ffi_timer_cancel(uint32_t slot, uint32_t gen) noexcept {
    tycho::lua::TimerService* t = tycho::lua::service();
    return t != nullptr && t->cancel(slot, gen) ? 1 : 0;
}

int tycho_ffi_timer_callbacks_ref(void) noexcept {
    tycho::lua::TimerService* t = tycho::lua::service();
    return t != nullptr ? t->callbacks_ref() : -1;
}

long tycho_ffi_timer_count(int running) noexcept {
    tycho::lua::TimerService* t = tycho::lua::service();
    if (t == nullptr) {
        return 0;
    }
    return static_cast<long>(running != 0 ? t->running() : t->pending());
}

}  // extern "C"
