#pragma once

// The per-worker timer engine behind ngx.timer.* (DESIGN.md §4): one 4-ary min-heap of
// (deadline, sequence, node) entries over a pooled slab of small intrusive nodes, plus a FIFO lane
// for zero-delay timers (their deadlines only grow, so they need no sorting), driven by a single
// uv_timer_t armed to the earliest deadline (and a uv_idle_t while a timer is already due).
// docs/event/timers.md has the design, the measurements that chose it, and the contracts.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tycho::event {

// What a timer runs. `data` and `user` are the words given to add(); `premature` is true only when
// expire_all_premature() runs the timer before its deadline (worker shutdown). Runs on the loop's
// thread; must not throw (it is called from a libuv callback). It may add and cancel timers,
// including cancelling itself (which then returns false: the timer already counts as run).
using TimerCallback = void (*)(void* data, uint64_t user, bool premature) noexcept;

// The time source: monotonic microseconds. The default (nullptr fn) reads CLOCK_MONOTONIC through
// uv_hrtime(), so deadlines are exact to the microsecond and a timer never fires before
// "time of add() + delay" by that clock. Tests inject a fake one.
struct TimerClock {
    uint64_t (*now_us)(void* ctx) = nullptr;
    void* ctx = nullptr;
};

// A handle to one pending timer: a 28-bit slot index and a 36-bit generation drawn from a
// queue-wide counter at add(), so a handle kept after its timer ran or was cancelled never reaches
// a later timer that reuses the slot (until 2^36 adds later). value 0 is "no timer" (what a
// refused add() returns). Plain 64-bit value: copy it freely, e.g. into a Lua userdata.
struct TimerId {
    uint64_t value = 0;
    explicit operator bool() const { return value != 0; }
    bool operator==(const TimerId&) const = default;
};

class TimerQueue {
  public:
    // Timers per queue are limited by the 28-bit slot index of a TimerId.
    static constexpr uint32_t kMaxTimers = (1u << 28) - 1;
    // Nodes are allocated in chunks of this many (32 bytes each): no allocation per timer.
    static constexpr uint32_t kChunkNodes = 4096;

    // `loop` may be nullptr: then no libuv handle is used and the owner calls expire() itself
    // (tests, benchmarks). With a loop, the queue owns one uv_timer_t (armed to the earliest
    // future deadline) and one uv_idle_t (active only while a timer is already due, so due timers
    // run on the next loop turn without starving I/O); they keep the loop alive while a timer is
    // pending unless set_keeps_loop_alive(false). Everything runs on the loop's thread.
    explicit TimerQueue(uv_loop_t* loop, TimerClock clock = {});
    // Drops pending timers without running them (call expire_all_premature() first to run them)
    // and closes the handles; their memory is freed by their close callbacks, so the loop must run
    // once more before uv_loop_close(), as for any handle. Not from inside a timer callback.
    ~TimerQueue();
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // Schedules cb(data, user, false) to run once no earlier than now + delay_ms. delay 0 runs on
    // the next expire() (the next loop turn), never inside the expire() that is running now.
    // Timers fire in deadline order, FIFO among equal deadlines. Returns the handle, or an empty
    // TimerId when refused: after expire_all_premature() (exiting) for delay_ms > 0, or when
    // kMaxTimers slots are in use. Zero delays are O(1) (a FIFO lane); others O(log n) in a 4-ary
    // heap (O(1) on average for spread deadlines). Reads the clock once. No allocation except when
    // the node pool (4096 nodes at a time) or an array grows.
    TimerId add(uint64_t delay_ms, TimerCallback cb, void* data, uint64_t user = 0);

    // Cancels a pending timer: true if it was pending (its callback will never run), false if it
    // already ran, is running, was cancelled, or the handle is empty or foreign. O(1) amortized:
    // the heap entry stays as a tombstone until it surfaces or a compaction (when tombstones
    // outnumber live entries) drops it.
    bool cancel(TimerId id);

    // Whether `id` names a timer that is still pending.
    bool is_pending(TimerId id) const;

    // Timers added and neither run nor cancelled (a running callback no longer counts).
    size_t pending() const { return pending_; }

    // Runs every timer whose deadline has passed by the clock read once at entry, in deadline
    // order, with premature = false; timers added meanwhile wait for the next call. Returns how
    // many ran. Called by the uv_timer_t; public for loop-less use. A nested call from a callback
    // returns 0.
    size_t expire();

    // Two queues of one loop whose timers must run in one deadline order (ngx.timer's and the
    // blocking waits', which differ in what happens at exit): before this queue runs a timer,
    // it runs the peer's timers due earlier. Set on both sides; the clocks must be the same.
    void set_peer(TimerQueue* peer) { peer_ = peer; }

    // expire(), but only when a timer is known to be due (a zero-delay timer was added, or a
    // deadline had passed when the queue was last armed): no clock read otherwise. For owners
    // that must run due timers before other work of the same loop turn, in nginx's order (expired
    // timers before posted events).
    size_t expire_if_due() { return armed_ == Armed::kIdle ? expire() : 0; }

    // Shutdown: marks the queue exiting, then runs every timer pending at entry at once with
    // premature = true, in deadline order (FIFO among equal deadlines). From then on add() refuses
    // delay_ms > 0; delay 0 is accepted and fires normally (premature = false) on the next loop
    // turn, as OpenResty's ngx.timer.at(0) does while the worker exits. Timers cancelled during
    // the run do not run. May be called again (e.g. for zero-delay timers added since). Returns how
    // many ran; a nested call from a callback of this run returns 0.
    size_t expire_all_premature();

    bool exiting() const { return exiting_; }

    // Whether a pending timer keeps uv_run() from returning (default true).
    void set_keeps_loop_alive(bool keep);

    // Gives the node pool (beyond one chunk) and the heap/lane arrays back to the allocator if no
    // timer is pending or queued; returns whether anything was released. With a loop this runs by
    // itself once the queue has stayed empty for a second (an unreferenced wake-up that never keeps
    // the loop alive); loop-less owners call it themselves.
    bool trim();

    // Called with the bytes trim() gave back whenever the loop's idle wake-up trimmed, so the
    // owner can release what it sized for the same burst. Runs on the loop, outside any timer.
    using TrimHook = void (*)(void* data, size_t released) noexcept;
    void set_trim_hook(TrimHook fn, void* data) {
        trim_hook_ = fn;
        trim_hook_data_ = data;
    }

    // Bytes held by the engine (node pool + heap array capacity + chunk table): what a pending
    // timer costs is memory_bytes() / pending() once the structures are full.
    size_t memory_bytes() const;
    // Heap and zero-delay lane entries, tombstones included (for tests of compaction).
    size_t heap_size() const { return heap_.size() + lane_.size(); }
    // The earliest deadline in clock microseconds (tombstones included), or UINT64_MAX if none.
    uint64_t next_deadline_us() const;

    uint64_t now_us() const;

  private:
    // 32 bytes. While free, `user` links the free list. gen 0 = not pending (free, cancelled or
    // fired); otherwise the generation its handle carries.
    struct Node {
        TimerCallback cb;
        void* data;
        uint64_t user;
        uint64_t gen;
    };
    // 16 bytes. seq breaks deadline ties in add order (compared modulo 2^32).
    struct Entry {
        uint64_t deadline;
        uint32_t seq;
        uint32_t node;
    };

    // A ring of entries in add order. Zero-delay timers land here: each one's deadline is the
    // clock at add(), so the ring stays sorted by (deadline, seq) and insert/pop are O(1).
    class Lane {
      public:
        bool empty() const { return size_ == 0; }
        size_t size() const { return size_; }
        size_t capacity() const { return buf_.size(); }
        const Entry& front() const { return buf_[head_]; }
        void push_back(const Entry& e);
        Entry pop_front();
        // Keeps the entries for which keep(entry) is true, in order.
        template <typename Keep>
        void filter(Keep keep);
        void release();
        void swap(Lane& other);

      private:
        void grow();
        std::vector<Entry> buf_;  // power-of-two size
        size_t head_ = 0;
        size_t size_ = 0;
    };

    static bool less(const Entry& a, const Entry& b) {
        if (a.deadline != b.deadline) {
            return a.deadline < b.deadline;
        }
        return static_cast<int32_t>(a.seq - b.seq) < 0;
    }

    Node& node(uint32_t index) { return chunks_[index / kChunkNodes][index % kChunkNodes]; }
    const Node& node(uint32_t index) const {
        return chunks_[index / kChunkNodes][index % kChunkNodes];
    }
    uint32_t alloc_node();
    void free_node(uint32_t index);

    static void sift_up(std::vector<Entry>& heap, size_t pos);
    static void sift_down(std::vector<Entry>& heap, size_t pos);
    static Entry pop_top(std::vector<Entry>& heap);
    // Which of heap and lane holds the earliest entry: 1 heap, 2 lane, 0 both empty.
    static int earliest(const std::vector<Entry>& heap, const Lane& lane);
    // Pops the earliest entry of heap + lane, runs it (or frees it if cancelled); returns whether
    // a callback ran.
    bool fire_next(std::vector<Entry>& heap, Lane& lane, int which, bool premature);
    // expire() for the timers with deadlines before `bound` only (the peer's next timer).
    size_t expire_until(uint64_t bound);
    void compact();
    bool trimmable() const;
    void arm();
    static void on_uv_timer(uv_timer_t* handle);
    // The timerfd path: arms it to an absolute deadline (UINT64_MAX disarms); its callback.
    void arm_fd(uint64_t deadline_us);
    static void on_fd(uv_poll_t* handle, int status, int events);
    static void on_uv_idle(uv_idle_t* handle);

    struct Handles;
    enum class Armed : uint8_t { kNone, kTimer, kIdle, kTrim };

    uv_loop_t* loop_;
    TimerClock clock_;
    Handles* handles_ = nullptr;  // owned; deleted by the last close callback
    Armed armed_ = Armed::kNone;
    uint64_t armed_deadline_ = UINT64_MAX;  // the deadline armed for; MAX if none (or trim)
    bool keeps_loop_alive_ = true;

    std::vector<std::unique_ptr<Node[]>> chunks_;
    uint32_t allocated_ = 0;           // slots ever handed out from chunks_ (bump pointer)
    uint32_t free_head_ = UINT32_MAX;  // LIFO free list through Node::user
    uint64_t next_gen_ = 1;

    std::vector<Entry> heap_;
    Lane lane_;
    uint32_t next_seq_ = 0;
    size_t pending_ = 0;
    size_t tombstones_ = 0;  // heap entries (in any heap) whose node was cancelled

    TimerQueue* peer_ = nullptr;
    TrimHook trim_hook_ = nullptr;
    void* trim_hook_data_ = nullptr;
    bool expiring_ = false;
    bool draining_ = false;
    bool exiting_ = false;
};

}  // namespace tycho::event
