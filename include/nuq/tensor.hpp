#pragma once
// tensor: a named, owned, row-major, little-endian array as it is stored in a checkpoint.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "nuq/numeric/dtype.hpp"

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace nuq {

namespace detail {
/// std::allocator whose value-initialization (vector(n), resize(n)) leaves bytes as they are,
/// so that a buffer about to be overwritten is not zero-filled first. Buffers of 4 MiB and more
/// are 2 MiB-aligned and, on Linux, ask for transparent huge pages: the first write to a fresh
/// buffer then faults once per 2 MiB instead of once per 4 KiB (a fifth of the time of a
/// quantize + pack went to page faults).
template <class T> struct default_init_allocator : std::allocator<T> {
    template <class U> struct rebind { using other = default_init_allocator<U>; };
    default_init_allocator() = default;
    template <class U> default_init_allocator(default_init_allocator<U> const&) noexcept {}
    static constexpr std::size_t huge_page = std::size_t{2} << 20;
    T* allocate(std::size_t n) {
        std::size_t const bytes = n * sizeof(T);
        if (bytes < 2 * huge_page) return std::allocator<T>::allocate(n);
        void* p = ::operator new(bytes, std::align_val_t{huge_page});
#ifdef __linux__
        ::madvise(p, bytes / huge_page * huge_page, MADV_HUGEPAGE); // a hint: failure is fine
#endif
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) {
        if (n * sizeof(T) < 2 * huge_page) return std::allocator<T>::deallocate(p, n);
        ::operator delete(p, std::align_val_t{huge_page});
    }
    template <class U> void construct(U* p) { ::new (static_cast<void*>(p)) U; }
    template <class U, class... Args> void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
} // namespace detail

/// Tag for a tensor whose every byte the caller writes.
struct for_overwrite_t {};
inline constexpr for_overwrite_t for_overwrite{};

struct tensor {
    std::string name;
    dtype type = dtype::invalid;
    std::vector<std::int64_t> shape;
    std::vector<std::byte, detail::default_init_allocator<std::byte>> data;

    tensor() = default;
    /// Zero-filled.
    tensor(std::string n, dtype t, std::vector<std::int64_t> s)
        : name(std::move(n)), type(t), shape(std::move(s)),
          data(static_cast<std::size_t>(numel()) * size_of(t), std::byte{0}) {}
    /// Uninitialized bytes (a packer that writes them all saves a pass over memory).
    tensor(std::string n, dtype t, std::vector<std::int64_t> s, for_overwrite_t)
        : name(std::move(n)), type(t), shape(std::move(s)),
          data(static_cast<std::size_t>(numel()) * size_of(t)) {}

    [[nodiscard]] std::int64_t numel() const {
        return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>{});
    }
    template <class T>
    [[nodiscard]] std::span<T> as() {
        return {reinterpret_cast<T*>(data.data()), data.size() / sizeof(T)};
    }
    template <class T>
    [[nodiscard]] std::span<T const> as() const {
        return {reinterpret_cast<T const*>(data.data()), data.size() / sizeof(T)};
    }
};

} // namespace nuq

namespace nuq {

/// A non-owning view of a stored tensor (e.g. inside an mmap'ed safetensors file).
struct tensor_ref {
    dtype type = dtype::invalid;
    std::vector<std::int64_t> shape;
    std::span<std::byte const> bytes;

    tensor_ref() = default;
    tensor_ref(dtype t, std::vector<std::int64_t> s, std::span<std::byte const> b)
        : type(t), shape(std::move(s)), bytes(b) {}
    tensor_ref(tensor const& t) : type(t.type), shape(t.shape), bytes(t.data) {} // NOLINT

    [[nodiscard]] std::int64_t numel() const {
        return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>{});
    }
    /// Element i, read without alignment assumptions.
    template <class T>
    [[nodiscard]] T at(std::size_t i) const {
        T v;
        std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
        return v;
    }
};

} // namespace nuq
