#include "event/timer_queue.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <utility>

#include "core/clock.h"

namespace tycho::event {

namespace {

constexpr unsigned kIndexBits = 28;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kGenMask = (uint64_t{1} << (64 - kIndexBits)) - 1;
constexpr size_t kArity = 4;
// Compaction rebuilds the heap in O(n); doing it only once tombstones are the majority (and not
// for tiny heaps) keeps cancel O(1) amortized and the heap at most twice its live size.
constexpr size_t kMinTombstonesToCompact = 1024;
// A queue that has stayed empty for kTrimDelayMs keeps one chunk of nodes and gives the rest back
// to the allocator, so a burst of a million timers does not pin its memory for the worker's life.
// Trimming at once on empty would make every burst of zero-delay timers re-fault its pages (it
// cost a third of the create+fire throughput).
constexpr size_t kIdleChunksKept = 1;
constexpr uint64_t kTrimDelayMs = 1000;

uint64_t monotonic_us(void*) {
    return uv_hrtime() / 1000;
}

}  // namespace

// The libuv side, allocated apart: handles outlive the queue until their close callbacks ran.
struct TimerQueue::Handles {
    uv_timer_t timer;  // armed for trim(), or to the earliest deadline when there is no timerfd
    uv_idle_t idle;    // active while a timer is already due: runs it on the next loop turn
    // A CLOCK_MONOTONIC timerfd armed to the earliest future deadline, to the microsecond:
    // libuv's own timers count whole milliseconds of cached loop time, which made timers fire
    // 0.2-1 ms late on average. -1 when unavailable (then `timer` does it).
    int tfd = -1;
    uv_poll_t poll;
    bool polling = false;
    int open = 2;
};

TimerQueue::TimerQueue(uv_loop_t* loop, TimerClock clock) : loop_(loop), clock_(clock) {
    if (clock_.now_us == nullptr) {
        clock_.now_us = monotonic_us;
        clock_.ctx = nullptr;
    }
    if (loop_ != nullptr) {
        handles_ = new Handles;
        uv_timer_init(loop_, &handles_->timer);
        uv_idle_init(loop_, &handles_->idle);
        handles_->timer.data = this;
        handles_->idle.data = this;
        // The timerfd's clock must be the queue's: only with the default (CLOCK_MONOTONIC,
        // which uv_hrtime reads).
        if (clock_.now_us == monotonic_us) {
            int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
            if (fd >= 0 && uv_poll_init(loop_, &handles_->poll, fd) == 0) {
                handles_->tfd = fd;
                handles_->poll.data = this;
                handles_->open++;
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
    }
}

TimerQueue::~TimerQueue() {
    if (handles_ != nullptr) {
        auto on_close = [](uv_handle_t* h) {
            auto* handles = static_cast<Handles*>(h->data);
            if (--handles->open == 0) {
                delete handles;
            }
        };
        handles_->timer.data = handles_;
        handles_->idle.data = handles_;
        uv_close(reinterpret_cast<uv_handle_t*>(&handles_->timer), on_close);
        uv_close(reinterpret_cast<uv_handle_t*>(&handles_->idle), on_close);
        if (handles_->tfd >= 0) {
            handles_->poll.data = handles_;
            uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), [](uv_handle_t* h) {
                auto* handles = static_cast<Handles*>(h->data);
                ::close(handles->tfd);
                if (--handles->open == 0) {
                    delete handles;
                }
            });
        }
    }
}

void TimerQueue::arm_fd(uint64_t deadline_us) {
    Handles& h = *handles_;
    itimerspec its{};
    if (deadline_us != UINT64_MAX) {
        its.it_value.tv_sec = static_cast<time_t>(deadline_us / 1000000);
        its.it_value.tv_nsec = static_cast<long>((deadline_us % 1000000) * 1000);
    }
    ::timerfd_settime(h.tfd, TFD_TIMER_ABSTIME, &its, nullptr);
    auto* handle = reinterpret_cast<uv_handle_t*>(&h.poll);
    if (deadline_us != UINT64_MAX && !h.polling) {
        h.polling = true;
        uv_poll_start(&h.poll, UV_READABLE, on_fd);
    } else if (deadline_us == UINT64_MAX && h.polling) {
        h.polling = false;
        uv_poll_stop(&h.poll);
    }
    if (h.polling) {
        keeps_loop_alive_ ? uv_ref(handle) : uv_unref(handle);
    }
}

void TimerQueue::on_fd(uv_poll_t* handle, int, int) {
    auto* self = static_cast<TimerQueue*>(handle->data);
    // The loop waited for this: callbacks read the time after the wait, as nginx updates its
    // time after epoll_wait, before it expires timers.
    core::update_cached_time_for_loop(uv_now(handle->loop));
    uint64_t expirations = 0;
    (void)!::read(self->handles_->tfd, &expirations, sizeof(expirations));
    self->armed_ = Armed::kNone;
    self->armed_deadline_ = UINT64_MAX;
    self->handles_->polling = false;
    uv_poll_stop(handle);
    self->expire();
}

uint64_t TimerQueue::now_us() const {
    return clock_.now_us(clock_.ctx);
}

void TimerQueue::set_keeps_loop_alive(bool keep) {
    keeps_loop_alive_ = keep;
    if (handles_ == nullptr) {
        return;
    }
    auto* idle = reinterpret_cast<uv_handle_t*>(&handles_->idle);
    keep ? uv_ref(idle) : uv_unref(idle);
    if (armed_ != Armed::kTrim) {  // a trim wake-up stays unreferenced
        auto* timer = reinterpret_cast<uv_handle_t*>(&handles_->timer);
        keep ? uv_ref(timer) : uv_unref(timer);
    }
    if (handles_->tfd >= 0) {
        auto* poll = reinterpret_cast<uv_handle_t*>(&handles_->poll);
        keep ? uv_ref(poll) : uv_unref(poll);
    }
}

uint32_t TimerQueue::alloc_node() {
    if (free_head_ != UINT32_MAX) {
        uint32_t index = free_head_;
        free_head_ = static_cast<uint32_t>(node(index).user);
        return index;
    }
    if (allocated_ >= kMaxTimers) {
        return UINT32_MAX;
    }
    if (allocated_ == chunks_.size() * kChunkNodes) {
        // Uninitialized on purpose: untouched nodes cost address space, not RSS.
        chunks_.emplace_back(new Node[kChunkNodes]);
    }
    return allocated_++;
}

void TimerQueue::free_node(uint32_t index) {
    Node& n = node(index);
    n.gen = 0;
    n.cb = nullptr;
    n.user = free_head_;
    free_head_ = index;
}

void TimerQueue::sift_up(std::vector<Entry>& heap, size_t pos) {
    Entry e = heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / kArity;
        if (!less(e, heap[parent])) {
            break;
        }
        heap[pos] = heap[parent];
        pos = parent;
    }
    heap[pos] = e;
}

void TimerQueue::sift_down(std::vector<Entry>& heap, size_t pos) {
    const size_t size = heap.size();
    Entry e = heap[pos];
    for (;;) {
        size_t first = pos * kArity + 1;
        if (first >= size) {
            break;
        }
        size_t last = first + kArity < size ? first + kArity : size;
        size_t best = first;
        for (size_t c = first + 1; c < last; c++) {
            if (less(heap[c], heap[best])) {
                best = c;
            }
        }
        if (!less(heap[best], e)) {
            break;
        }
        heap[pos] = heap[best];
        pos = best;
    }
    heap[pos] = e;
}

TimerQueue::Entry TimerQueue::pop_top(std::vector<Entry>& heap) {
    Entry top = heap.front();
    Entry last = heap.back();
    heap.pop_back();
    if (!heap.empty()) {
        heap.front() = last;
        sift_down(heap, 0);
    }
    return top;
}

void TimerQueue::Lane::grow() {
    std::vector<Entry> bigger(buf_.empty() ? 64 : buf_.size() * 2);
    for (size_t i = 0; i < size_; i++) {
        bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    }
    buf_.swap(bigger);
    head_ = 0;
}

void TimerQueue::Lane::push_back(const Entry& e) {
    if (size_ == buf_.size()) {
        grow();
    }
    buf_[(head_ + size_) & (buf_.size() - 1)] = e;
    size_++;
}

TimerQueue::Entry TimerQueue::Lane::pop_front() {
    Entry e = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    size_--;
    return e;
}

template <typename Keep>
void TimerQueue::Lane::filter(Keep keep) {
    size_t kept = 0;
    const size_t mask = buf_.size() - 1;
    for (size_t i = 0; i < size_; i++) {
        const Entry e = buf_[(head_ + i) & mask];
        if (keep(e)) {
            buf_[(head_ + kept++) & mask] = e;
        }
    }
    size_ = kept;
}

void TimerQueue::Lane::release() {
    std::vector<Entry>().swap(buf_);
    head_ = 0;
    size_ = 0;
}

void TimerQueue::Lane::swap(Lane& other) {
    buf_.swap(other.buf_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
}

int TimerQueue::earliest(const std::vector<Entry>& heap, const Lane& lane) {
    if (lane.empty()) {
        return heap.empty() ? 0 : 1;
    }
    if (heap.empty()) {
        return 2;
    }
    return less(lane.front(), heap.front()) ? 2 : 1;
}

bool TimerQueue::fire_next(std::vector<Entry>& heap, Lane& lane, int which, bool premature) {
    uint32_t index = which == 1 ? pop_top(heap).node : lane.pop_front().node;
    Node& n = node(index);
    TimerCallback cb = n.cb;
    if (cb == nullptr) {
        tombstones_--;
        free_node(index);
        return false;
    }
    void* data = n.data;
    uint64_t user = n.user;
    // Freed before the call: the callback may add (and reuse this slot) or cancel itself.
    free_node(index);
    pending_--;
    cb(data, user, premature);
    return true;
}

TimerId TimerQueue::add(uint64_t delay_ms, TimerCallback cb, void* data, uint64_t user) {
    if (exiting_ && delay_ms > 0) {
        return {};
    }
    uint32_t index = alloc_node();
    if (index == UINT32_MAX) {
        return {};
    }
    uint64_t gen = next_gen_;
    next_gen_ = (next_gen_ + 1) & kGenMask;
    if (next_gen_ == 0) {
        next_gen_ = 1;
    }
    Node& n = node(index);
    n.cb = cb;
    n.data = data;
    n.user = user;
    n.gen = gen;

    // Saturate instead of wrapping: a huge delay means "never" rather than "now".
    uint64_t now = now_us();
    uint64_t delay_us = delay_ms > (UINT64_MAX - now) / 1000 ? UINT64_MAX - now : delay_ms * 1000;
    const uint64_t deadline = now + delay_us;
    if (delay_ms == 0) {
        lane_.push_back(Entry{deadline, next_seq_++, index});
    } else {
        heap_.push_back(Entry{deadline, next_seq_++, index});
        sift_up(heap_, heap_.size() - 1);
    }
    pending_++;

    if (handles_ != nullptr && deadline < armed_deadline_ && !expiring_ && !draining_) {
        arm();
    }
    return TimerId{(gen << kIndexBits) | index};
}

bool TimerQueue::is_pending(TimerId id) const {
    uint64_t index = id.value & kIndexMask;
    uint64_t gen = id.value >> kIndexBits;
    if (gen == 0 || index >= allocated_) {
        return false;
    }
    return node(static_cast<uint32_t>(index)).gen == gen;
}

bool TimerQueue::cancel(TimerId id) {
    if (!is_pending(id)) {
        return false;
    }
    Node& n = node(static_cast<uint32_t>(id.value & kIndexMask));
    // The heap entry still points here, so the node is freed when the entry leaves the heap.
    n.gen = 0;
    n.cb = nullptr;
    pending_--;
    tombstones_++;
    if (!draining_ && tombstones_ >= kMinTombstonesToCompact &&
        tombstones_ * 2 > heap_.size() + lane_.size()) {
        compact();
    }
    return true;
}

void TimerQueue::compact() {
    size_t kept = 0;
    for (const Entry& e : heap_) {
        if (node(e.node).cb == nullptr) {
            free_node(e.node);
            tombstones_--;
        } else {
            heap_[kept++] = e;
        }
    }
    heap_.resize(kept);
    lane_.filter([this](const Entry& e) {
        if (node(e.node).cb == nullptr) {
            free_node(e.node);
            tombstones_--;
            return false;
        }
        return true;
    });
    if (kept > 1) {
        for (size_t i = (kept - 2) / kArity + 1; i-- > 0;) {
            sift_down(heap_, i);
        }
    }
    if (heap_.capacity() > 2 * heap_.size() + 1024) {
        heap_.shrink_to_fit();
    }
}

bool TimerQueue::trimmable() const {
    // With nothing pending, whatever entries remain are tombstones and can go with the pool.
    return pending_ == 0 && !expiring_ && !draining_ &&
           (chunks_.size() > kIdleChunksKept || heap_.capacity() > kChunkNodes ||
            lane_.capacity() > kChunkNodes || !heap_.empty() || !lane_.empty());
}

bool TimerQueue::trim() {
    // Only when nothing is pending: no handle can be valid, and the entries left (tombstones) go
    // with the pool.
    if (!trimmable()) {
        return false;
    }
    if (chunks_.size() > kIdleChunksKept) {
        chunks_.resize(kIdleChunksKept);
    }
    chunks_.shrink_to_fit();
    allocated_ = 0;
    free_head_ = UINT32_MAX;
    // Generations come from one queue-wide counter, so rebuilt slots never repeat a handle.
    std::vector<Entry>().swap(heap_);
    lane_.release();
    tombstones_ = 0;
    return true;
}

uint64_t TimerQueue::next_deadline_us() const {
    switch (earliest(heap_, lane_)) {
        case 1:
            return heap_.front().deadline;
        case 2:
            return lane_.front().deadline;
        default:
            return UINT64_MAX;
    }
}

size_t TimerQueue::expire() {
    return expire_until(UINT64_MAX);
}

size_t TimerQueue::expire_until(uint64_t bound) {
    if (expiring_ || draining_) {
        return 0;
    }
    expiring_ = true;
    const uint64_t now = now_us();
    // Entries added from here on have seq >= limit; with a monotonic clock they also have
    // deadline >= now, so they sort after every entry that is due now and the loop can stop at
    // the first one it meets.
    const uint32_t limit = next_seq_;
    size_t fired = 0;
    for (;;) {
        int which = earliest(heap_, lane_);
        if (which == 0) {
            break;
        }
        const Entry& top = which == 1 ? heap_.front() : lane_.front();
        if (top.deadline > now || top.deadline >= bound ||
            static_cast<int32_t>(top.seq - limit) >= 0) {
            break;
        }
        if (peer_ != nullptr && !peer_->expiring_ && peer_->next_deadline_us() < top.deadline &&
            peer_->expire_until(top.deadline) > 0) {
            continue;  // the peer's callbacks may have changed this queue: look again
        }
        fired += fire_next(heap_, lane_, which, false) ? 1 : 0;
    }
    expiring_ = false;
    if (handles_ != nullptr) {
        arm();
    }
    if (bound == UINT64_MAX && peer_ != nullptr && !peer_->expiring_ &&
        peer_->next_deadline_us() <= now) {
        // What the peer has due now comes after all of this queue's due timers: run it too,
        // before anything else the loop would run in between.
        peer_->expire_until(UINT64_MAX);
    }
    return fired;
}

size_t TimerQueue::expire_all_premature() {
    if (draining_) {
        return 0;
    }
    exiting_ = true;
    draining_ = true;
    // The timers to run move out, so zero-delay timers added by their callbacks (which may sort
    // before later deadlines) land in fresh structures and wait for the next loop turn.
    std::vector<Entry> heap;
    heap.swap(heap_);
    Lane lane;
    lane.swap(lane_);
    size_t fired = 0;
    for (int which; (which = earliest(heap, lane)) != 0;) {
        fired += fire_next(heap, lane, which, true) ? 1 : 0;
    }
    draining_ = false;
    if (handles_ != nullptr) {
        arm();
    }
    return fired;
}

void TimerQueue::arm() {
    // Tombstones in front would only cause empty wake-ups.
    while (!heap_.empty() && node(heap_.front().node).cb == nullptr) {
        uint32_t index = pop_top(heap_).node;
        tombstones_--;
        free_node(index);
    }
    while (!lane_.empty() && node(lane_.front().node).cb == nullptr) {
        uint32_t index = lane_.pop_front().node;
        tombstones_--;
        free_node(index);
    }
    uv_timer_t* timer = &handles_->timer;
    const uint64_t deadline = next_deadline_us();
    Armed want;
    uint64_t timeout = 0;
    if (deadline == UINT64_MAX) {
        want = trimmable() ? Armed::kTrim : Armed::kNone;
        timeout = kTrimDelayMs;
    } else if (deadline <= now_us()) {
        // Due already. Not a zero timeout: libuv 1.44 runs a timer restarted with timeout 0 again
        // within the same timer phase, so a chain of zero-delay timers would starve I/O. An idle
        // handle runs once per loop iteration and makes that iteration's poll non-blocking.
        want = Armed::kIdle;
    } else {
        // libuv counts whole milliseconds of loop time (uv_now: floored, and older than the
        // precise clock). The timeout is floored against loop time: libuv measures it from the
        // poll call, which comes after the add, so the wake-up lands at or just after the
        // deadline. If one still comes early, expire() finds nothing due and re-arms here; the
        // remaining sub-millisecond then rounds up to 1 ms rather than spinning the loop.
        want = Armed::kTimer;
        const uint64_t loop_us = uv_now(loop_) * 1000;
        timeout = deadline > loop_us ? (deadline - loop_us) / 1000 : 0;
        if (timeout == 0) {
            timeout = 1;
        }
    }

    if (armed_ == Armed::kIdle && want != Armed::kIdle) {
        uv_idle_stop(&handles_->idle);
    }
    if (handles_->tfd >= 0) {
        // Timer deadlines go to the timerfd; `timer` only serves trim().
        if (want == Armed::kTimer) {
            if (armed_ == Armed::kTrim) {
                uv_timer_stop(timer);
            }
            if (armed_ != Armed::kTimer || armed_deadline_ != deadline) {
                arm_fd(deadline);
            }
            armed_ = want;
            armed_deadline_ = deadline;
            return;
        }
        if (armed_ == Armed::kTimer) {
            arm_fd(UINT64_MAX);
            armed_ = Armed::kNone;
        }
    }
    switch (want) {
        case Armed::kNone:
            if (armed_ == Armed::kTimer || armed_ == Armed::kTrim) {
                uv_timer_stop(timer);
            }
            break;
        case Armed::kTrim:
            if (armed_ != Armed::kTrim) {
                // Unreferenced: a pending trim never keeps the loop alive.
                uv_timer_start(timer, on_uv_timer, timeout, 0);
                uv_unref(reinterpret_cast<uv_handle_t*>(timer));
            }
            break;
        case Armed::kIdle:
            if (armed_ == Armed::kTimer || armed_ == Armed::kTrim) {
                uv_timer_stop(timer);
            }
            if (armed_ != Armed::kIdle) {
                uv_idle_start(&handles_->idle, on_uv_idle);
            }
            break;
        case Armed::kTimer:
            // A trim wake-up may have left the handle unreferenced.
            if (keeps_loop_alive_) {
                uv_ref(reinterpret_cast<uv_handle_t*>(timer));
            }
            uv_timer_start(timer, on_uv_timer, timeout, 0);
            break;
    }
    armed_ = want;
    armed_deadline_ = (want == Armed::kTimer || want == Armed::kIdle) ? deadline : UINT64_MAX;
}

void TimerQueue::on_uv_timer(uv_timer_t* handle) {
    auto* self = static_cast<TimerQueue*>(handle->data);
    core::update_cached_time_for_loop(uv_now(handle->loop));
    const bool trim = self->armed_ == Armed::kTrim;
    self->armed_ = Armed::kNone;
    self->armed_deadline_ = UINT64_MAX;
    if (trim) {
        size_t before = self->memory_bytes();
        if (self->trim() && self->trim_hook_ != nullptr) {
            self->trim_hook_(self->trim_hook_data_, before - self->memory_bytes());
        }
    }
    self->expire();
}

void TimerQueue::on_uv_idle(uv_idle_t* handle) {
    auto* self = static_cast<TimerQueue*>(handle->data);
    // Stays active (armed_ kIdle) if expire() leaves a due timer behind; arm() decides.
    self->armed_deadline_ = UINT64_MAX;
    self->expire();
}

size_t TimerQueue::memory_bytes() const {
    return chunks_.size() * kChunkNodes * sizeof(Node) +
           chunks_.capacity() * sizeof(std::unique_ptr<Node[]>) +
           (heap_.capacity() + lane_.capacity()) * sizeof(Entry) + sizeof(*this) +
           (handles_ != nullptr ? sizeof(Handles) : 0);
}

}  // namespace tycho::event
