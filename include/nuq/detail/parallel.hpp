#pragma once
// parallel_for: runs fn(i) for i in [0, n) on up to `threads` threads (the caller's included),
// handing out indices in order from an atomic counter. Results must not depend on which
// thread ran what: callers write disjoint outputs per index.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nuq::detail {

/// Threads to use when the caller says 0: the machine's hardware threads.
inline int default_threads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

template <class Fn>
void parallel_for(std::int64_t n, int threads, Fn&& fn) {
    if (threads <= 0) threads = default_threads();
    auto const workers = static_cast<int>(std::min<std::int64_t>(threads, n));
    if (workers <= 1) {
        for (std::int64_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::atomic<std::int64_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
        try {
            for (std::int64_t i; (i = next.fetch_add(1)) < n;) fn(i);
        } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            next.store(n);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

} // namespace nuq::detail
