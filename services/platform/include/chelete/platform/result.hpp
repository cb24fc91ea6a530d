#pragma once

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace chelete::platform {

/// Thrown when a Result is read the wrong way round: a programming error, never a business one.
class BadResultAccess : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// Wraps an error value so `Result<T, E>` can be built from it even when T and E are the same type.
template <typename E>
struct Err {
    E value;
};

template <typename E>
Err<std::decay_t<E>> err(E&& e) {
    return Err<std::decay_t<E>>{std::forward<E>(e)};
}

/// Expected business outcomes are values (STYLE.md §2.3): insufficient funds, limit exceeded, an
/// expired quote. std::expected needs C++23 on g++ 12, hence this small stand-in.
template <typename T, typename E>
class [[nodiscard]] Result {
public:
    // Implicit on purpose: `return value;` and `return Err{...};` read naturally.
    Result(T value)  // NOLINT(google-explicit-constructor)
        : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Err<E> error)  // NOLINT(google-explicit-constructor)
        : state_(std::in_place_index<1>, std::move(error.value)) {}

    [[nodiscard]] bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    [[nodiscard]] const T& value() const& {
        if (!ok()) {
            throw BadResultAccess("Result::value() called on an error");
        }
        return std::get<0>(state_);
    }
    [[nodiscard]] T& value() & {
        if (!ok()) {
            throw BadResultAccess("Result::value() called on an error");
        }
        return std::get<0>(state_);
    }
    [[nodiscard]] T&& value() && {
        if (!ok()) {
            throw BadResultAccess("Result::value() called on an error");
        }
        return std::get<0>(std::move(state_));
    }
    [[nodiscard]] const E& error() const& {
        if (ok()) {
            throw BadResultAccess("Result::error() called on a value");
        }
        return std::get<1>(state_);
    }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, E> state_;
};

/// A Result with no value: success or an error.
template <typename E>
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Err<E> error)  // NOLINT(google-explicit-constructor): implicit on purpose
        : error_(std::move(error.value)), failed_(true) {}

    [[nodiscard]] bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] const E& error() const {
        if (!failed_) {
            throw BadResultAccess("Status::error() called on success");
        }
        return error_;
    }

private:
    E error_{};
    bool failed_ = false;
};

}  // namespace chelete::platform
