#include "event/shared_semaphore.h"

#include "event/inbox.h"

#include <memory>
#include <unordered_map>
#include <utility>

namespace tycho::event {
namespace {

struct Registry {
    std::mutex mu;
    std::unordered_map<std::string, std::unique_ptr<SharedSemaphore>> sems;
};

// Never destroyed: a worker thread may still post while the process exits.
Registry& registry() {
    static auto* r = new Registry;
    return *r;
}

// Appends `w` to the doubly linked list head..tail (a semaphore's queue).
void append(SemaWaiter*& head, SemaWaiter*& tail, SemaWaiter* w) {
    w->next = nullptr;
    w->prev = tail;
    if (tail != nullptr) {
        tail->next = w;
    } else {
        head = w;
    }
    tail = w;
}

// The inbox's delivery of a grant, on the waiter's loop.
void deliver_grant(void* data, bool dropped) {
    auto* w = static_cast<SemaWaiter*>(data);
    // Read now, not at post time: an earlier grant's code may have cancelled this waiter (its
    // unit went back to the semaphore then).
    if (!dropped && w->state == SemaWaiter::State::kGranted && w->on_grant != nullptr) {
        w->on_grant(w);
    }
    delete w;
}

}  // namespace

SharedSemaphore* SharedSemaphore::get(std::string_view name, int64_t resources) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.sems.find(std::string(name));
    if (it != r.sems.end()) {
        return it->second.get();
    }
    auto sem = std::unique_ptr<SharedSemaphore>(new SharedSemaphore(std::string(name), resources));
    SharedSemaphore* p = sem.get();
    r.sems.emplace(p->name_, std::move(sem));
    return p;
}

size_t SharedSemaphore::registry_size() {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    return r.sems.size();
}

int64_t SharedSemaphore::count() {
    std::lock_guard<std::mutex> lock(mu_);
    return resources_ - waiting_;
}

void SharedSemaphore::post(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    resources_ += n;
    grant_locked();
}

bool SharedSemaphore::take(bool queue, Inbox* box, SemaWaiter** queued) {
    std::lock_guard<std::mutex> lock(mu_);
    if (head_ == nullptr && resources_ > 0) {
        resources_--;
        return true;
    }
    if (!queue) {
        return false;
    }
    auto* w = new SemaWaiter;
    w->sem = this;
    w->box = box;
    append(head_, tail_, w);
    waiting_++;
    *queued = w;
    return false;
}

bool SharedSemaphore::cancel(SemaWaiter* w) {
    SharedSemaphore* s = w->sem;
    {
        std::lock_guard<std::mutex> lock(s->mu_);
        if (w->state != SemaWaiter::State::kQueued) {
            // Granted, the grant not yet run: the unit goes to whoever waits next; the inbox
            // frees the waiter.
            w->state = SemaWaiter::State::kAbandoned;
            s->resources_++;
            s->grant_locked();
            return false;
        }
        s->unlink_locked(w);
    }
    delete w;
    return true;
}

bool SharedSemaphore::expire(SemaWaiter* w) {
    SharedSemaphore* s = w->sem;
    {
        std::lock_guard<std::mutex> lock(s->mu_);
        if (w->state != SemaWaiter::State::kQueued) {
            return false;
        }
        s->unlink_locked(w);
    }
    delete w;
    return true;
}

void SharedSemaphore::unlink_locked(SemaWaiter* w) {
    if (w->prev != nullptr) {
        w->prev->next = w->next;
    } else {
        head_ = w->next;
    }
    if (w->next != nullptr) {
        w->next->prev = w->prev;
    } else {
        tail_ = w->prev;
    }
    w->next = w->prev = nullptr;
    waiting_--;
}

void SharedSemaphore::grant_locked() {
    while (resources_ > 0 && head_ != nullptr) {
        SemaWaiter* w = head_;
        unlink_locked(w);
        resources_--;
        w->state = SemaWaiter::State::kGranted;
        // Under this semaphore's lock: the owner cannot cancel the waiter, and so cannot
        // close its inbox, before the post is complete.
        w->box->post(deliver_grant, w);
    }
}

}  // namespace tycho::event
