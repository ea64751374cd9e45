#pragma once
// tensor: a named, owned, row-major, little-endian array as it is stored in a checkpoint.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "nuq/numeric/dtype.hpp"

namespace nuq {

struct tensor {
    std::string name;
    dtype type = dtype::invalid;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> data;

    tensor() = default;
    tensor(std::string n, dtype t, std::vector<std::int64_t> s)
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
