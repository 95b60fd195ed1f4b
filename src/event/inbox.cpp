#include "event/inbox.h"

namespace tycho::event {

std::shared_ptr<Inbox> Inbox::open(uv_loop_t* loop, Liveness liveness) {
    std::shared_ptr<Inbox> inbox(new Inbox);
    inbox->async_ = new uv_async_t;
    uv_async_init(loop, inbox->async_, [](uv_async_t* h) { static_cast<Inbox*>(h->data)->drain(); });
    inbox->async_->data = inbox.get();
    if (liveness == Liveness::kWeak) {
        uv_unref(reinterpret_cast<uv_handle_t*>(inbox->async_));
    }
    return inbox;
}

Inbox::~Inbox() {
    close();
}

void Inbox::post(Fn fn, void* data) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (async_ != nullptr) {
            auto* item = new Item{fn, data, nullptr};
            if (tail_ != nullptr) {
                tail_->next = item;
            } else {
                head_ = item;
            }
            tail_ = item;
            uv_async_send(async_);
            return;
        }
    }
    fn(data, true);
}

void Inbox::close() {
    uv_async_t* async;
    {
        std::lock_guard<std::mutex> lock(mu_);
        async = async_;
        async_ = nullptr;
    }
    if (async != nullptr) {
        async->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(async),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    }
    Item* item = take_all();
    while (item != nullptr) {
        Item* next = item->next;
        item->fn(item->data, true);
        delete item;
        item = next;
    }
}

Inbox::Item* Inbox::take_all() {
    std::lock_guard<std::mutex> lock(mu_);
    Item* item = head_;
    head_ = tail_ = nullptr;
    return item;
}

void Inbox::drain() {
    Item* item = take_all();
    while (item != nullptr) {
        Item* next = item->next;
        item->fn(item->data, false);
        delete item;
        item = next;
    }
}

}  // namespace tycho::event
