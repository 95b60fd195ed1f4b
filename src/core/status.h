#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tycho::core {

// The outcome of an operation that can fail with a human-readable message.
// Messages are complete sentences in the wording the user will see (nginx's texts for config
// errors), so callers pass them on unchanged rather than wrapping them.
class [[nodiscard]] Status {
  public:
    Status() = default;
    static Status ok() { return Status(); }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool is_ok() const { return !failed_; }
    explicit operator bool() const { return !failed_; }
    const std::string& message() const { return message_; }

  private:
    explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

    bool failed_ = false;
    std::string message_;
};

// A value or an error message.
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

    bool is_ok() const { return value_.has_value(); }
    explicit operator bool() const { return value_.has_value(); }
    const Status& status() const { return status_; }
    const std::string& message() const { return status_.message(); }

    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() { return *value_; }

  private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace tycho::core
