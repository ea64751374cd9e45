#pragma once
// safetensors_writer: writes a .safetensors file one tensor at a time, so that a model larger
// than memory can be written as it is produced.
//
// Use: add() every tensor (name, dtype, shape); begin(path); write() each tensor's bytes, in
// any order and in as many pieces as convenient; finish(). Data goes to
// `<path>.nuq-tmp-<random>`, which finish() syncs and renames to `path`; a writer destroyed
// before finish() removes it.
//
// The bytes match what the Python library (safetensors.torch.save_file, Rust `prepare`) writes:
// - tensors sorted by dtype in descending order of its Dtype enum (U64, I64, F64, F32, U32,
//   I32, BF16, F16, U16, I16, F8_E4M3, F8_E5M2, I8, U8, BOOL), then by name (bytewise). Every
//   tensor is then naturally aligned, with no padding between tensors;
// - the header is compact JSON: "__metadata__" first (omitted when empty; its keys sorted, the
//   Python library leaves them in hash order), then the tensors in data order, each
//   {"dtype","shape","data_offsets"} in that order;
// - the header is padded with spaces to a multiple of 8 bytes.
// The default metadata is {"format": "pt"}, as transformers' save_pretrained writes it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nuq/error.hpp"
#include "nuq/io/posix_file.hpp"
#include "nuq/numeric/dtype.hpp"

namespace nuq::io {

namespace detail {

/// Position of a dtype in safetensors' Rust `Dtype` enum, which is ordered by alignment.
constexpr int safetensors_rank(dtype t) {
    switch (t) {
    case dtype::boolean:
        return 0;
    case dtype::uint8:
        return 1;
    case dtype::int8:
        return 2;
    case dtype::float8_e5m2:
        return 3;
    case dtype::float8_e4m3fn:
        return 4;
    case dtype::int16:
        return 5;
    case dtype::uint16:
        return 6;
    case dtype::float16:
        return 7;
    case dtype::bfloat16:
        return 8;
    case dtype::int32:
        return 9;
    case dtype::uint32:
        return 10;
    case dtype::float32:
        return 11;
    case dtype::float64:
        return 12;
    case dtype::int64:
        return 13;
    case dtype::uint64:
        return 14;
    case dtype::invalid:
        break;
    }
    return -1;
}

/// A JSON string literal for `s`, escaped like serde_json (no \u escapes for non-ASCII).
inline std::string json_quote(std::string const& s, std::string const& what) {
    try {
        return nlohmann::json(s).dump();
    } catch (nlohmann::json::exception const&) {
        throw error("safetensors_writer.name", what, "is not valid UTF-8", "UTF-8 text",
                    "rename it with valid UTF-8");
    }
}

/// Bytes of a tensor of `type` and `shape`; throws when a dimension is negative or it overflows.
inline std::uint64_t tensor_bytes(dtype type, std::vector<std::int64_t> const& shape,
                                  std::string const& where) {
    std::uint64_t n = size_of(type);
    for (auto d : shape) {
        if (d < 0)
            throw error("safetensors_writer.shape", where,
                        "dimension " + std::to_string(d) + " is negative", "non-negative sizes",
                        "fix the tensor's shape");
        if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n) ||
            n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw error("safetensors_writer.shape", where, "size overflows 2^63 bytes",
                        "a tensor that fits in a file", "fix the tensor's shape");
    }
    return n;
}

} // namespace detail

class safetensors_writer {
public:
    safetensors_writer() = default;
    safetensors_writer(safetensors_writer&& o) noexcept
        : metadata_(std::move(o.metadata_)), tensors_(std::move(o.tensors_)),
          index_(std::move(o.index_)), path_(std::move(o.path_)), tmp_(std::move(o.tmp_)),
          fd_(std::move(o.fd_)), data_start_(o.data_start_), state_(std::exchange(o.state_, done)) {
        o.tmp_.clear();
    }
    safetensors_writer& operator=(safetensors_writer&& o) noexcept {
        if (this != &o) {
            abandon();
            metadata_ = std::move(o.metadata_);
            tensors_ = std::move(o.tensors_);
            index_ = std::move(o.index_);
            path_ = std::move(o.path_);
            tmp_ = std::exchange(o.tmp_, {});
            fd_ = std::move(o.fd_);
            data_start_ = o.data_start_;
            state_ = std::exchange(o.state_, done);
        }
        return *this;
    }
    safetensors_writer(safetensors_writer const&) = delete;
    safetensors_writer& operator=(safetensors_writer const&) = delete;
    ~safetensors_writer() { abandon(); }

    /// Replaces the "__metadata__" object (default {"format": "pt"}; empty: none written).
    void set_metadata(std::map<std::string, std::string> metadata) {
        require(declaring, "set_metadata");
        for (auto const& [k, v] : metadata) {
            detail::json_quote(k, "metadata key '" + k + "'");
            detail::json_quote(v, "metadata value of '" + k + "'");
        }
        metadata_ = std::move(metadata);
    }

    /// Declares a tensor; all tensors are declared before begin().
    void add(std::string name, dtype type, std::vector<std::int64_t> shape) {
        require(declaring, "add");
        if (name.empty() || name == "__metadata__")
            throw error("safetensors_writer.name", "tensor '" + name + "'",
                        "is not usable as a tensor name",
                        "a non-empty name other than __metadata__", "rename the tensor");
        detail::json_quote(name, "tensor '" + name + "'");
        if (size_of(type) == 0)
            throw error("safetensors_writer.dtype", "tensor '" + name + "'",
                        "has no storable dtype", "one of the dtypes of nuq/numeric/dtype.hpp",
                        "give the tensor a concrete dtype");
        if (index_.contains(name))
            throw error("safetensors_writer.duplicate", "tensor '" + name + "'",
                        "was declared twice", "unique names", "declare each tensor once");
        auto const bytes = detail::tensor_bytes(type, shape, "tensor '" + name + "'");
        index_.emplace(name, tensors_.size());
        tensors_.push_back({std::move(name), type, std::move(shape), 0, bytes, 0});
    }

    /// Names in the order their data will lie in the file.
    [[nodiscard]] std::vector<std::string> names() const {
        auto order = file_order();
        std::vector<std::string> out;
        out.reserve(order.size());
        for (auto i : order) out.push_back(tensors_[i].name);
        return out;
    }
    /// Sum of the declared tensors' byte sizes (the data section).
    [[nodiscard]] std::uint64_t data_size() const noexcept {
        std::uint64_t n = 0;
        for (auto const& t : tensors_) n += t.size;
        return n;
    }

    /// Creates the temporary file and writes the header. Tensor bytes follow through write().
    void begin(std::filesystem::path path) {
        require(declaring, "begin");
        std::string header = header_json();
        header.append((8 - header.size() % 8) % 8, ' ');
        auto [fd, tmp] = detail::create_temp_file(path);
        fd_ = std::move(fd);
        tmp_ = std::move(tmp);
        path_ = std::move(path);
        state_ = writing;
        std::byte len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = std::byte(static_cast<unsigned char>(std::uint64_t{header.size()} >> (8 * i)));
        detail::pwrite_all(fd_.get(), len, 0, tmp_);
        detail::pwrite_all(fd_.get(), std::as_bytes(std::span(header)), 8, tmp_);
        data_start_ = 8 + header.size();
    }

    /// Appends `bytes` to tensor `name` (a whole tensor, or its next piece).
    void write(std::string_view name, std::span<std::byte const> bytes) {
        require(writing, "write");
        auto const it = index_.find(name);
        if (it == index_.end())
            throw error("safetensors_writer.unknown",
                        path_.string() + ", tensor '" + std::string(name) + "'",
                        "was not declared with add() before begin()", "a declared tensor",
                        "add() every tensor before begin()");
        auto& t = tensors_[it->second];
        if (bytes.size() > t.size - t.written)
            throw error("safetensors_writer.size", path_.string() + ", tensor '" + t.name + "'",
                        std::to_string(bytes.size()) + " more bytes after " +
                            std::to_string(t.written) + " already written",
                        std::to_string(t.size) + " bytes in all (" +
                            std::string(safetensors_name(t.type)) + " x shape)",
                        "write exactly the bytes of the declared dtype and shape");
        detail::pwrite_all(fd_.get(), bytes, data_start_ + t.begin + t.written, tmp_);
        t.written += bytes.size();
    }

    /// True once all bytes of `name` were written.
    [[nodiscard]] bool complete(std::string_view name) const {
        auto const it = index_.find(name);
        return it != index_.end() && tensors_[it->second].written == tensors_[it->second].size;
    }

    /// Checks that every tensor is complete, syncs, and renames the file into place.
    void finish() {
        require(writing, "finish");
        for (auto i : file_order()) {
            auto const& t = tensors_[i];
            if (t.written != t.size)
                throw error("safetensors_writer.incomplete",
                            path_.string() + ", tensor '" + t.name + "'",
                            "only " + std::to_string(t.written) + " of " + std::to_string(t.size) +
                                " bytes were written",
                            "every declared tensor written in full before finish()",
                            "write() the rest of the tensor before finish()");
        }
        detail::sync_and_close(fd_, tmp_);
        std::error_code ec;
        std::filesystem::rename(tmp_, path_, ec);
        if (ec)
            throw error("io.rename", path_.string(),
                        "cannot rename " + tmp_.string() + " into place: " + ec.message(), "",
                        "check that the directory is writable");
        tmp_.clear();
        state_ = done;
    }

    /// The target path given to begin().
    [[nodiscard]] std::filesystem::path const& path() const noexcept { return path_; }

private:
    enum state { declaring, writing, done };
    struct tensor {
        std::string name;
        dtype type;
        std::vector<std::int64_t> shape;
        std::uint64_t begin, size, written;
    };

    void require(state s, char const* call) const {
        static constexpr char const* names[] = {"before begin()", "between begin() and finish()",
                                                "never again after finish()"};
        if (state_ != s)
            throw error("safetensors_writer.order", path_.string(),
                        std::string(call) + "() called out of order",
                        std::string("calling it ") + names[s],
                        "add() all tensors, begin(), write() each, then finish()");
    }

    [[nodiscard]] std::vector<std::size_t> file_order() const {
        std::vector<std::size_t> order(tensors_.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            int const ra = detail::safetensors_rank(tensors_[a].type);
            int const rb = detail::safetensors_rank(tensors_[b].type);
            return ra != rb ? ra > rb : tensors_[a].name < tensors_[b].name;
        });
        return order;
    }

    /// Assigns offsets in file order and returns the compact header.
    std::string header_json() {
        std::string h = "{";
        if (!metadata_.empty()) {
            h += "\"__metadata__\":{";
            for (auto const& [k, v] : metadata_) {
                if (h.back() != '{') h += ',';
                h += nlohmann::json(k).dump();
                h += ':';
                h += nlohmann::json(v).dump();
            }
            h += "}";
        }
        std::uint64_t offset = 0;
        for (auto i : file_order()) {
            auto& t = tensors_[i];
            t.begin = offset;
            offset += t.size;
            if (h.size() > 1) h += ",";
            h += nlohmann::json(t.name).dump() + ":{\"dtype\":\"" +
                 std::string(safetensors_name(t.type)) + "\",\"shape\":[";
            for (std::size_t d = 0; d < t.shape.size(); ++d) {
                if (d) h += ',';
                h += std::to_string(t.shape[d]);
            }
            h += "],\"data_offsets\":[" + std::to_string(t.begin) + "," +
                 std::to_string(t.begin + t.size) + "]}";
        }
        return h + "}";
    }

    /// Closes and removes an unfinished temporary file.
    void abandon() noexcept {
        fd_.reset();
        if (!tmp_.empty()) {
            std::error_code ec;
            std::filesystem::remove(tmp_, ec);
            tmp_.clear();
        }
        state_ = done;
    }

    std::map<std::string, std::string> metadata_{{"format", "pt"}};
    std::vector<tensor> tensors_;
    std::map<std::string, std::size_t, std::less<>> index_;
    std::filesystem::path path_;
    std::filesystem::path tmp_;
    detail::unique_fd fd_;
    std::uint64_t data_start_ = 0;
    state state_ = declaring;
};

} // namespace nuq::io
