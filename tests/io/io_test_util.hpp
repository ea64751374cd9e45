#pragma once
// Helpers shared by the io tests: a scratch directory, raw file writing, error checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "nuq/error.hpp"

namespace nuq_test {

/// A fresh directory under the system temp dir, removed with everything in it.
class scratch_dir {
public:
    scratch_dir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("nuq-io-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(scratch_dir const&) = delete;
    scratch_dir& operator=(scratch_dir const&) = delete;
    [[nodiscard]] std::filesystem::path const& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(std::string const& name) const {
        return path_ / name;
    }
    /// Names of all entries directly inside, sorted.
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (auto const& e : std::filesystem::directory_iterator(path_))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    std::filesystem::path path_;
};

inline void write_bytes(std::filesystem::path const& p, std::string const& bytes) {
    std::ofstream f(p, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
}

inline std::string read_bytes(std::filesystem::path const& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE(f.good());
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A safetensors file from a header text and a data section of `data_size` bytes; the
/// length field is `header.size()` unless `length` overrides it.
inline std::string safetensors_bytes(std::string const& header, std::size_t data_size,
                                     std::uint64_t length = UINT64_MAX) {
    if (length == UINT64_MAX) length = header.size();
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    out += header;
    out.append(data_size, '\x5a');
    return out;
}

/// Runs `f`, which must throw nuq::error with `id` and a message containing every `parts`.
template <class F>
void require_error(F&& f, std::string const& id, std::initializer_list<std::string> parts) {
    try {
        f();
    } catch (nuq::error const& e) {
        INFO(e.what());
        CHECK(e.id() == id);
        for (auto const& p : parts) CHECK(std::string(e.what()).find(p) != std::string::npos);
        CHECK(!e.fix().empty());
        return;
    }
    FAIL("no nuq::error thrown; expected " << id);
}

template <class T>
std::span<std::byte const> as_bytes_of(std::vector<T> const& v) {
    return std::as_bytes(std::span(v));
}

} // namespace nuq_test
